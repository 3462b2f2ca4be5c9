"""The outbox of a submission is scoped like the submission: a department's staff see and re-send only the messages
of submissions with a case of their department; another's answer as if they did not exist (404)."""

import pytest
import time_machine
from django.urls import reverse

from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, T0, build_hall, received
from yichuang.notifications import services
from yichuang.notifications.models import Message
from yichuang.notifications.tests.conftest import FlakyGateway
from yichuang.organisation.tests.factories import UserFactory


@pytest.fixture
def outbox(db, settings, tmp_path):
    """A submission with one case of 县市场监督管理局 and a failed message of it; a sign-in code of no submission."""
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    with time_machine.travel(T0, tick=False):
        hall = build_hall()  # seats the clerks on that day
        submission = intake.submit(
            actor=hall.general_clerk,
            applicant=PERSON,
            matters=["PERMIT"],
            materials=received("ID"),
            window=hall.w_general,
            now=T0,
        )
    Message.objects.all().delete()
    failed = services.notify(PERSON["phone"], Message.Kind.ACCEPTED, {"cases": 1}, submission=submission.number)
    code = services.notify(PERSON["phone"], Message.Kind.SIGN_IN_CODE, {"code": "123456"})
    services.deliver_due(backend=FlakyGateway(failures=None))
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED
    return hall, submission, failed, code


def _page(client, number):
    return client.get(reverse("notifications:submission", args=[number]))


def _retry(client, message):
    return client.post(reverse("notifications:retry", args=[message.pk]))


def test_the_department_of_a_case_sees_and_resends(client, outbox):
    hall, submission, failed, _code = outbox
    client.force_login(UserFactory(officer=True, department=hall.samr))
    response = _page(client, submission.number)
    assert response.status_code == 200 and f'data-message="{failed.pk}"' in response.content.decode()
    assert _retry(client, failed).status_code == 302
    failed.refresh_from_db()
    assert failed.status == Message.Status.PENDING


def test_another_department_sees_nothing_and_resends_nothing(client, outbox):
    hall, submission, failed, code = outbox
    client.force_login(UserFactory(officer=True, department=hall.tax))
    unknown = _page(client, "411624-20990101-000001")
    hidden = _page(client, submission.number)
    assert hidden.status_code == unknown.status_code == 404
    assert f'data-message="{failed.pk}"' not in hidden.content.decode()
    refused, missing = _retry(client, failed), client.post(reverse("notifications:retry", args=[10**6]))
    assert refused.status_code == missing.status_code == 404
    # Nothing tells a message that exists from one that does not.
    assert "没有这条消息" in refused.content.decode() and "没有这条消息" in missing.content.decode()
    assert _retry(client, code).status_code == 404  # a sign-in code belongs to no department
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED


@pytest.mark.parametrize("role", ["window_clerk", "supervisor", "hall_admin"])
def test_front_staff_see_every_submission_as_on_its_page(client, outbox, role):
    _hall, submission, failed, _code = outbox
    client.force_login(UserFactory(**{role: True}))
    assert client.get(reverse("intake:submission", args=[submission.number])).status_code == 200
    assert _page(client, submission.number).status_code == 200
    assert _retry(client, failed).status_code == 302
