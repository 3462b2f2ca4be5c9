"""The worker's sweep: warnings, automatic termination and reminders, each once — run twice, or by two workers."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from yichuang.backoffice import services, sweep
from yichuang.backoffice.models import Alert, Decision
from yichuang.intake.models import Applicant, Case
from yichuang.intake.tests.helpers import T0, received
from yichuang.notifications.models import Message

from .conftest import take_in

SH = T0.tzinfo
THU = dt.datetime(2026, 3, 12, 10, 0, tzinfo=SH)  # PERMIT of T0 is yellow (due Fri 17:30), PLAN due Fri
MON = dt.datetime(2026, 3, 16, 10, 0, tzinfo=SH)  # PERMIT of T0 is red, PLAN due Fri 03-13 is overdue


def deferred(due: dt.date) -> list[dict]:
    return [*received("ID"), {"material": "PLAN", "status": "deferred", "due": due}]


def scene(office):
    """A running PERMIT case, a PERMIT case in a 1-day special procedure, ELDERLY cases with PLAN deferred to
    Fri 03-13 and to Tue 03-17."""
    running = take_in(office.hall)
    special = take_in(office.hall)
    services.claim(special, office.officer, now=T0)
    services.start_special(special, office.officer, kind="inspection", reason="现场核查", limit_days=1, now=T0)
    late = take_in(office.hall, "ELDERLY", materials=deferred(dt.date(2026, 3, 13)))
    later = take_in(office.hall, "ELDERLY", materials=deferred(dt.date(2026, 3, 17)))
    return running, special, late, later


def alerts() -> set[tuple[str, str]]:
    return set(Alert.objects.values_list("kind", "subject"))


def messages(kind: str) -> int:
    return Message.objects.filter(kind=kind).count()


def test_run_twice_raises_terminates_and_reminds_once(office):
    running, special, late, later = scene(office)
    procedure = special.special_procedures.get()
    first = sweep.run(THU)
    assert (first.yellow, first.red, first.special_overdue, first.terminated, first.reminded) == (1, 0, 1, 0, 1)
    assert alerts() == {
        ("case_yellow", running.number),
        ("special_overdue", f"{special.number}#{procedure.pk}"),
        ("material_due", str(late.submission.materials.get(code="PLAN").pk)),
    }
    assert messages("material_due") == 1
    again = sweep.run(THU)
    assert again.as_dict() == sweep.SweepReport().as_dict()
    assert messages("material_due") == 1

    monday = sweep.run(MON)
    assert (monday.red, monday.terminated, monday.reminded) == (1, 1, 1)  # later's PLAN is due Tue: reminded now
    late.refresh_from_db()
    assert late.status == "terminated" and late.decision.outcome == Decision.Outcome.TERMINATED
    assert Applicant.objects.get(pk=late.submission.applicant_id).deferral_blocked
    assert ("terminated", late.number) in alerts() and ("case_red", running.number) in alerts()
    assert Case.objects.get(pk=later.pk).status == "accepted"
    counts = (Alert.objects.count(), Message.objects.count(), Decision.objects.count())
    assert sweep.run(MON).as_dict() == sweep.SweepReport().as_dict()
    assert (Alert.objects.count(), Message.objects.count(), Decision.objects.count()) == counts
    assert messages("terminated") == 1 and messages("material_due") == 2


def test_a_supplied_material_is_neither_reminded_nor_terminated(office):
    case = take_in(office.hall, "ELDERLY", materials=deferred(dt.date(2026, 3, 13)))
    case.submission.materials.filter(code="PLAN").update(supplied_at=T0)
    report = sweep.run(MON)
    assert (report.terminated, report.reminded) == (0, 0)
    assert Case.objects.get(pk=case.pk).status == "accepted"


def test_the_command_runs_the_sweep_once_with_progress(office, capsys):
    scene(office)
    call_command("backoffice", "sweep")
    out = capsys.readouterr().out
    assert "预警" in out and "容缺逾期终止" in out and "容缺补交提醒" in out and "完成" in out


def test_the_worker_runs_the_sweep_as_a_periodic_job(office, settings):
    from yichuang.backoffice import tasks
    from yichuang.core import periodic

    scene(office)
    job = periodic.get(tasks.SWEEP)
    settings.BACKOFFICE_SWEEP_SECONDS = 120
    assert job.period == 120 and job.func is tasks.backoffice_sweep
    with time_machine.travel(MON, tick=False):
        assert tasks.backoffice_sweep()["terminated"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_do_everything_exactly_once(office):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; test_run_twice_raises_terminates_and_reminds_once covers it")
    running, special, late, later = scene(office)
    errors, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            sweep.run(MON)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    for _round in range(2):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert Alert.objects.filter(kind="case_red", subject=running.number).count() == 1
    assert Alert.objects.filter(kind="special_overdue").count() == 1
    assert Alert.objects.filter(kind="terminated", subject=late.number).count() == 1
    assert Alert.objects.filter(kind="material_due").count() == 1
    assert Decision.objects.filter(case=late).count() == 1
    assert messages("terminated") == 1 and messages("material_due") == 1
    assert Case.objects.get(pk=late.pk).status == "terminated"
