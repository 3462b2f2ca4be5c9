"""The intake admin: read-only lists with masked personal data; clearing a broken-pledge mark."""

import pytest

from yichuang.core.models import AuditEvent
from yichuang.intake import services
from yichuang.intake.models import Applicant, Case, Handoff, Submission
from yichuang.organisation.tests.factories import UserFactory

from .helpers import BUNDLE_MATERIALS, PERSON, T0, received
from .test_submit import ORG

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


def test_lists_and_pages_are_read_only_and_masked(client, hall, superuser):
    submission = services.submit(
        actor=hall.clerk, applicant=ORG, bundle="qiyekaiban", materials=received(*BUNDLE_MATERIALS), now=T0
    )
    services.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["ELDERLY"], materials=received("ID", "PLAN"), now=T0
    )
    client.force_login(superuser)
    for model in (Submission, Case, Handoff, Applicant):
        url = f"/admin/intake/{model._meta.model_name}/"
        page = client.get(url)
        assert page.status_code == 200, url
        assert PERSON["id_number"] not in page.content.decode() and ORG["id_number"] not in page.content.decode()
    page = client.get(f"/admin/intake/submission/{submission.pk}/change/").content.decode()
    assert submission.number in page and "企业设立登记" in page and "Save" not in page and "保存" not in page
    assert client.get("/admin/intake/submission/add/").status_code == 403


def test_clearing_the_mark_goes_through_the_service(client, hall, superuser):
    applicant = Applicant.objects.create(kind="person", name="张三", id_number=PERSON["id_number"], phone="")
    services.mark_deferral_broken(applicant, reason="逾期未补交")
    client.force_login(superuser)
    response = client.post(
        "/admin/intake/applicant/", {"action": "clear_deferral_block", "_selected_action": [applicant.pk]}, follow=True
    )
    assert "已解除 1 位" in response.content.decode()
    applicant.refresh_from_db()
    assert not applicant.deferral_blocked and applicant.deferral_cleared_by == superuser
    assert AuditEvent.objects.filter(action="intake.clear_deferral_block").count() == 1


def test_a_hall_admin_sees_intake_and_clears_a_mark(client, hall):
    from yichuang.organisation.roles import sync_role_groups

    sync_role_groups()
    admin_user = UserFactory(hall_admin=True)
    applicant = Applicant.objects.create(kind="person", name="张三", id_number=PERSON["id_number"], phone="")
    services.mark_deferral_broken(applicant, reason="逾期未补交")
    client.force_login(admin_user)
    assert client.get("/admin/intake/submission/").status_code == 200
    client.post("/admin/intake/applicant/", {"action": "clear_deferral_block", "_selected_action": [applicant.pk]})
    applicant.refresh_from_db()
    assert not applicant.deferral_blocked and applicant.deferral_cleared_by == admin_user
