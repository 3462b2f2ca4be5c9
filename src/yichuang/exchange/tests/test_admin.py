"""The hall admin sees rejected rows with the province's reason (filter by status), corrects the data and
resends — through the admin's form and actions, which call exchange.services (audited)."""

import json

import pytest
from django.urls import reverse

from yichuang.core.models import AuditEvent
from yichuang.exchange import services
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import HttpTarget
from yichuang.organisation.tests.factories import UserFactory

from .helpers import with_special

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, desk):
    user = UserFactory(hall_admin=True, username="hall_admin_x")
    client.force_login(user)
    return client


def test_rejected_rows_shown_fixed_and_resent_in_the_admin(admin_client, desk, province):
    _submission, case = with_special(desk)
    province.modes = ["reject"]
    services.deliver_due(target=HttpTarget(province.url))
    rejected = OutboxEvent.objects.get(status="rejected")

    changelist = reverse("admin:exchange_outboxevent_changelist")
    page = admin_client.get(changelist, {"status__exact": "rejected"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "实施编码不在省级实施清单中" in text and case.number in text
    assert admin_client.get(changelist, {"status__exact": "sent"}).content.decode().count(case.number) == 0

    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])
    assert "实施编码不在省级实施清单中" in admin_client.get(change).content.decode()
    payload = {**rejected.payload, "impl_code": "FIXED-CODE"}
    response = admin_client.post(change, {"payload": json.dumps(payload, ensure_ascii=False)})
    assert response.status_code == 302, response.content.decode()[:2000]
    rejected.refresh_from_db()
    assert rejected.payload["impl_code"] == "FIXED-CODE" and rejected.status == "rejected"

    response = admin_client.post(changelist, {"action": "resend", "_selected_action": [rejected.pk]})
    assert response.status_code == 302
    rejected.refresh_from_db()
    assert rejected.status == "pending" and rejected.revision == 2
    assert services.deliver_due(target=HttpTarget(province.url)).sent == 7
    assert province.requests[-7][1]["data"]["impl_code"] == "FIXED-CODE"
    actions = list(AuditEvent.objects.filter(object_type="exchange.outboxevent").values_list("action", flat=True))
    assert "exchange.fix" in actions and "exchange.resend" in actions


def test_a_sent_row_cannot_be_edited_or_resent(admin_client, desk, province):
    with_special(desk)
    services.deliver_due(target=HttpTarget(province.url))
    sent = OutboxEvent.objects.filter(status="sent").first()
    change = reverse("admin:exchange_outboxevent_change", args=[sent.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="payload"' not in page  # read-only once sent
    changelist = reverse("admin:exchange_outboxevent_changelist")
    admin_client.post(changelist, {"action": "resend", "_selected_action": [sent.pk]})
    sent.refresh_from_db()
    assert sent.status == "sent" and sent.revision == 1


def test_the_case_number_of_a_rejected_row_cannot_be_changed(admin_client, desk, province):
    with_special(desk)
    province.modes = ["reject"]
    services.deliver_due(target=HttpTarget(province.url))
    rejected = OutboxEvent.objects.get(status="rejected")
    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])
    response = admin_client.post(change, {"payload": json.dumps({**rejected.payload, "case_no": "OTHER"})})
    assert response.status_code == 200 and "办件编号不可修改" in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.payload["case_no"] != "OTHER"
