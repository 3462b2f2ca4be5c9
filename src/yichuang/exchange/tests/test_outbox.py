"""The hook: every accept, step, special procedure, result, handover and rating writes its outbox row in the
transaction of the change — a change rolled back leaves none; nothing is written with the exchange off."""

import pytest
from django.db import transaction

from yichuang.exchange.models import OutboxEvent
from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, T0, received

from .helpers import with_special

pytestmark = pytest.mark.django_db


def test_each_kind_of_event_writes_its_row_in_order(desk):
    _submission, case = with_special(desk)
    events = list(OutboxEvent.objects.filter(stream=case.number).order_by("id"))
    assert [(e.table, e.kind) for e in events] == [
        ("accept", "dispatched"),
        ("process", "claimed"),
        ("special", "special_started"),
        ("special", "special_ended"),
        ("result", "approved"),
        ("delivery", "mailed"),
        ("evaluation", "rated"),
    ]
    accept = events[0].payload
    assert accept["case_no"] == case.number
    assert accept["applicant_name"] == PERSON["name"] and accept["applicant_id_no"] == PERSON["id_number"]
    assert accept["department_code"] == desk.hall.samr.code
    assert [m["material_code"] for m in accept["materials"]] == ["ID"]
    assert events[2].payload["detail"]["procedure_kind"] == "inspection"
    assert events[4].payload["case_status"] == "approved"
    assert events[-1].payload["detail"]["level"] == 5
    assert {e.status for e in events} == {"pending"}


def test_a_rolled_back_change_leaves_no_row(desk):
    hall = desk.hall
    with pytest.raises(RuntimeError), transaction.atomic():
        intake.submit(actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
                      window=hall.w_general, now=T0)  # fmt: skip
        assert OutboxEvent.objects.count() == 1  # written inside the transaction …
        raise RuntimeError("the intake fails after the acceptance was written")
    assert OutboxEvent.objects.count() == 0  # … and gone with it


def test_a_refused_step_writes_nothing(desk):
    from django.core.exceptions import ValidationError

    from yichuang.backoffice import services as office
    from yichuang.backoffice.tests.conftest import take_in

    case = take_in(desk.hall)
    before = OutboxEvent.objects.count()
    with pytest.raises(ValidationError):
        office.end_special(case, desk.office.officer, now=T0)  # no special procedure is running
    assert OutboxEvent.objects.count() == before


def test_exchange_off_writes_nothing(desk, settings):
    settings.EXCHANGE_TARGET = ""
    with_special(desk)
    assert OutboxEvent.objects.count() == 0


def test_the_other_call_sites_pickup_handover_and_moved_deadline(desk):
    import datetime as dt

    from yichuang.backoffice import services as office
    from yichuang.backoffice.tests.conftest import take_in
    from yichuang.clock import services as clock
    from yichuang.clock.models import CalendarOverride
    from yichuang.clock.queries import calendar_source
    from yichuang.output import services as output
    from yichuang.output.tests.conftest import SIGNATURE, ready_single

    hall = desk.hall
    # a delegated department collects its batch (backoffice.collect_handoff, bulk)
    elderly = take_in(hall, "ELDERLY", materials=received("ID", "PLAN"))
    office.collect_handoff(elderly.handoff, desk.office.civil_officer, signer="李四", now=T0 + dt.timedelta(hours=1))
    assert list(OutboxEvent.objects.filter(stream=elderly.number).order_by("id").values_list("table", "kind")) == [
        ("accept", "awaiting_pickup"), ("process", "collected")
    ]  # fmt: skip
    collected = OutboxEvent.objects.get(stream=elderly.number, kind="collected")
    assert "signer" not in collected.payload["detail"]  # the signer's name is not sent

    # a holiday moves a running case's deadline (clock.services)
    running = take_in(hall, now=T0)
    before = calendar_source()
    CalendarOverride.objects.create(date=dt.date(2026, 3, 12), is_workday=False, note="测试")
    clock.calendar_changed(before, hall.admin, "测试调整", now=T0 + dt.timedelta(hours=2))
    assert OutboxEvent.objects.filter(stream=running.number, kind="deadline_moved", table="process").exists()

    # handed over at the output window (output.services.hand_over)
    submission = ready_single(desk)
    output.hand_over(submission, desk.clerk, receiver="applicant", id_number=PERSON["id_number"],
                     receiver_name=PERSON["name"], window=desk.window, signature=SIGNATURE)  # fmt: skip
    case = submission.cases.get()
    assert list(OutboxEvent.objects.filter(stream=case.number).order_by("id").values_list("kind", flat=True)) == [
        "dispatched", "claimed", "approved", "handed_over"
    ]  # fmt: skip
