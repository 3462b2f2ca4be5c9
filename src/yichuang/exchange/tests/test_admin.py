"""The hall admin sees rejected rows with the province's reason (filter by status), corrects the data and
resends — through the admin's form and actions, which call exchange.services (audited)."""

import json

import pytest
from django.core.exceptions import ValidationError
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


def _messages(response) -> list[tuple[str, str]]:
    from django.contrib.messages import get_messages

    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _rejected(desk, province) -> OutboxEvent:
    with_special(desk)
    province.modes = ["reject"]
    services.deliver_due(target=HttpTarget(province.url))
    return OutboxEvent.objects.get(status="rejected")


def test_a_refused_correction_shows_the_error_only_and_saves_nothing(admin_client, desk, province):
    rejected = _rejected(desk, province)
    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])
    payload = {**rejected.payload, "impl_code": "1" * 65}
    response = admin_client.post(change, {"payload": json.dumps(payload)})
    assert response.status_code == 200  # the form again, with the field named
    assert "impl_code" in response.content.decode() and "长度上限" in response.content.decode()
    assert not [m for m in _messages(response) if m[0] == "success"]
    rejected.refresh_from_db()
    assert rejected.payload["impl_code"] != payload["impl_code"]
    assert not AuditEvent.objects.filter(action="exchange.fix").exists()


def test_a_correction_refused_at_saving_does_not_say_changed_successfully(admin_client, desk, province, monkeypatch):
    rejected = _rejected(desk, province)
    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])

    def refuse(*args, **kwargs):  # e.g. another admin resent the row between the form's check and the save
        raise ValidationError("只有被退回或推送失败的事件可以修正后重新推送。")

    monkeypatch.setattr(services, "fix_payload", refuse)
    payload = {**rejected.payload, "impl_code": "FIXED-CODE"}
    response = admin_client.post(change, {"payload": json.dumps(payload, ensure_ascii=False)})
    assert response.status_code == 302 and response["Location"] == change
    got = _messages(response)
    assert [level for level, _text in got] == ["error"], got


def test_posting_to_a_row_sent_meanwhile_is_refused_not_a_500(admin_client, desk, province):
    rejected = _rejected(desk, province)
    OutboxEvent.objects.filter(pk=rejected.pk).update(status="sent")  # the payload is read-only now
    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])
    response = admin_client.post(change, {"payload": json.dumps(rejected.payload, ensure_ascii=False)})
    assert response.status_code == 302
    assert [level for level, _text in _messages(response)] == ["error"]


def test_reread_action_survives_an_unreadable_event_time(admin_client, desk, province):
    rejected = _rejected(desk, province)
    OutboxEvent.objects.filter(pk=rejected.pk).update(payload={**rejected.payload, "event_time": "not a time"})
    changelist = reverse("admin:exchange_outboxevent_changelist")
    response = admin_client.post(changelist, {"action": "reread_and_resend", "_selected_action": [rejected.pk]})
    assert response.status_code == 302
    rejected.refresh_from_db()
    assert rejected.status == "pending" and rejected.revision == 2


def test_an_action_failing_on_one_rows_data_refuses_that_row_only(admin_client, desk, province, monkeypatch):
    rejected = _rejected(desk, province)
    real = services.reread

    def broken(event, *args, **kwargs):
        if event.pk == rejected.pk:
            raise TypeError("the row's data, 110101199003071234")
        return real(event, *args, **kwargs)

    monkeypatch.setattr(services, "reread", broken)
    changelist = reverse("admin:exchange_outboxevent_changelist")
    response = admin_client.post(changelist, {"action": "reread_and_resend", "_selected_action": [rejected.pk]})
    assert response.status_code == 302
    got = _messages(response)
    assert got and got[0][0] == "warning" and "TypeError" in got[0][1] and "1101" not in got[0][1]
    rejected.refresh_from_db()
    assert rejected.status == "rejected" and rejected.revision == 1


def test_each_view_of_a_rows_page_is_audited_without_personal_data(admin_client, desk, province):
    rejected = _rejected(desk, province)
    change = reverse("admin:exchange_outboxevent_change", args=[rejected.pk])
    assert rejected.payload["applicant_id_no"] in admin_client.get(change).content.decode()
    admin_client.get(change)
    views = AuditEvent.objects.filter(action="exchange.view", object_id=str(rejected.pk))
    assert views.count() == 2
    for event in views:
        assert event.actor.username == "hall_admin_x"
        text = event.summary + json.dumps(event.detail, ensure_ascii=False)
        assert rejected.payload["applicant_id_no"] not in text and rejected.payload["applicant_name"] not in text
