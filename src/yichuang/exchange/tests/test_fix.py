"""A late acknowledgement of an old claim, the admin's corrected payload checked against the front tables, and
re-reading a row whose event time was edited into something unreadable."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yichuang.exchange import services
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import Outcome

from .helpers import with_special

pytestmark = pytest.mark.django_db
Status = OutboxEvent.Status


def test_a_late_acknowledgement_of_an_old_claim_does_not_mark_the_resent_revision_sent(desk):
    _s, case = with_special(desk)
    _old_batch, claimed = services.claim()
    (first,) = claimed
    # While that worker is slow, the province rejects revision 1 and the admin corrects and resends it.
    OutboxEvent.objects.filter(pk=first.pk).update(status=Status.REJECTED, reject_reason="实施编码为空")
    services.resend(OutboxEvent.objects.get(pk=first.pk), desk.hall.admin)
    late = {first.pk: Outcome("sent")}
    services._acknowledge(claimed, late, services.DrainReport(), timezone.now())  # the old claim answers
    row = OutboxEvent.objects.get(pk=first.pk)
    assert row.status == Status.PENDING and row.revision == 2  # revision 2 was never delivered

    _new_batch, again = services.claim()
    assert [e.pk for e in again] == [first.pk]
    services._acknowledge(claimed, late, services.DrainReport(), timezone.now())  # still the old claim
    assert OutboxEvent.objects.get(pk=first.pk).status == Status.PENDING
    report = services.DrainReport()
    services._acknowledge(again, {first.pk: Outcome("sent")}, report, timezone.now())
    assert report.sent == 1 and OutboxEvent.objects.get(pk=first.pk).status == Status.SENT


# --- fix_payload checks the corrected payload -------------------------------------------------------------


@pytest.fixture
def rejected(desk):
    _s, case = with_special(desk)
    OutboxEvent.objects.filter(stream=case.number).update(status=Status.REJECTED, reject_reason="退回")
    return {e.table: e for e in OutboxEvent.objects.filter(stream=case.number).order_by("id")}


def refused(event, payload, admin) -> str:
    with pytest.raises(ValidationError) as caught:
        services.fix_payload(event, admin, payload)
    event.refresh_from_db()
    assert event.payload != payload  # nothing saved
    return "；".join(caught.value.messages)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"impl_code": "1" * 65}, "impl_code", "长度上限（64"),
        ({"applicant_name": "欧" * 101}, "applicant_name", "长度上限（100"),
        ({"applicant_name": 42}, "applicant_name", "须为文本"),
        ({"unknown_field": "x"}, "unknown_field", "未知字段"),
        ({"materials": "x"}, "materials", "须为列表"),
        ({"materials": ["x"]}, "materials[1]", "须为对象"),
        ({"materials": [{"material_code": "ID", "copies": "two"}]}, "materials[1].copies", "须为整数"),
        ({"materials": [{"material_name": "材" * 201}]}, "materials[1].material_name", "长度上限（200"),
        ({"event_time": "yesterday"}, "event_time", "ISO 8601"),
        ({"event_time": 20240506}, "event_time", "ISO 8601"),
        ({"event_time": "2024-05-06T09:30:00"}, "event_time", "带时区"),  # no offset
        ({"due_at": "soon"}, "due_at", "ISO 8601"),
        ({"detail": "x"}, "detail", "须为对象"),
    ],
)
def test_the_accept_rows_corrected_payload_is_checked_field_by_field(rejected, desk, change, field, words):
    event = rejected["accept"]
    message = refused(event, {**event.payload, **change}, desk.hall.admin)
    assert field in message and words in message and "字段" in message


def test_a_column_taken_from_the_detail_is_checked_too(rejected, desk):
    special = rejected["special"]
    payload = {**special.payload, "detail": {**special.payload["detail"], "procedure_kind": "k" * 65}}
    assert "detail.procedure_kind" in refused(special, payload, desk.hall.admin)
    evaluation = rejected["evaluation"]
    payload = {**evaluation.payload, "detail": {**evaluation.payload["detail"], "level": "five"}}
    assert "detail.level" in refused(evaluation, payload, desk.hall.admin)


def test_a_good_correction_is_saved(rejected, desk):
    event = rejected["accept"]
    payload = {**event.payload, "impl_code": "11411624MB1234567K000105001000", "accepted_at": None}
    services.fix_payload(event, desk.hall.admin, payload)
    event.refresh_from_db()
    assert event.payload == payload


# --- reread with an unreadable event time ---------------------------------------------------------------


@pytest.mark.parametrize("bad", ["yesterday", 12345, ["x"], "2024-05-06T09:30:00", "", None])
def test_reread_falls_back_to_the_rows_time_when_the_event_time_is_unreadable(rejected, desk, bad):
    event = rejected["process"]
    OutboxEvent.objects.filter(pk=event.pk).update(payload={**event.payload, "event_time": bad})
    services.reread(OutboxEvent.objects.get(pk=event.pk), desk.hall.admin)
    event.refresh_from_db()
    assert dt.datetime.fromisoformat(event.payload["event_time"]) == event.created_at


def test_reread_keeps_a_readable_event_time(rejected, desk):
    event = rejected["process"]
    kept = event.payload["event_time"]
    services.reread(event, desk.hall.admin)
    event.refresh_from_db()
    assert event.payload["event_time"] == kept
