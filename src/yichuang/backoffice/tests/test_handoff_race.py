"""An intake into a delegated department's open pickup batch while the department collects that batch
(PostgreSQL: real concurrent transactions; SQLite serializes writers, so the interleaving cannot happen there).

The intake is held just after it chose the batch; the collection then runs. Whichever way the two meet, the
new case ends in the department's hands: collected with the batch (received), or in a new open batch — never in
a batch already collected, where no worklist would show it."""

import threading
import time

import pytest
from django.db import connection

from yichuang.backoffice import services
from yichuang.intake import services as intake
from yichuang.intake.models import Case, Handoff
from yichuang.intake.tests.helpers import PERSON, T0, received

from .conftest import take_in

OTHER = {**PERSON, "name": "李四", "id_number": "11010519491231002X", "phone": "13712345678"}
POLLS = 1500  # × 10 ms: what any step below may take at most before the test gives up


def _until(condition) -> bool:
    for _ in range(POLLS):
        if condition():
            return True
        time.sleep(0.01)
    return False


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_case_never_joins_a_batch_already_collected(office, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers: an intake and a collection never overlap")
    hall = office.hall
    first = take_in(hall, "ELDERLY", materials=received("ID", "PLAN"))
    batch = first.handoff
    chose, go, results = threading.Event(), threading.Event(), {}
    real = intake._handoffs

    def held(plan, now):
        handoffs = real(plan, now)
        chose.set()
        _until(go.is_set)  # hold the intake's transaction open here
        return handoffs

    monkeypatch.setattr(intake, "_handoffs", held)

    def run(name, job):
        try:
            results[name] = ("ok", job())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[name] = ("error", repr(exc))
        finally:
            go.set()  # never leave the other thread waiting
            connection.close()

    taking = threading.Thread(
        target=run,
        args=(
            "intake",
            lambda: intake.submit(
                actor=hall.general_clerk,
                applicant=OTHER,
                matters=["ELDERLY"],
                materials=received("ID", "PLAN"),
                window=hall.w_general,
                now=T0,
            ),  # fmt: skip
        ),
    )
    collecting = threading.Thread(
        target=run,
        args=("collect", lambda: services.collect_handoff(batch, office.civil_officer, signer="李四", now=T0)),
    )
    taking.start()
    assert _until(chose.is_set), "the intake never reached the batch"
    collecting.start()
    # The collection either finishes (the intake did not lock the batch) or waits for the intake's lock.
    _until(lambda: not collecting.is_alive() or _waiting_on_a_lock() > 0)
    go.set()
    taking.join()
    collecting.join()
    assert results["intake"][0] == "ok" and results["collect"][0] == "ok", results

    second = Case.objects.select_related("handoff").exclude(pk=first.pk).get()
    assert Handoff.objects.get(pk=batch.pk).status == Handoff.Status.COLLECTED
    assert second.handoff.status == Handoff.Status.OPEN or second.received_at is not None, (
        "the case joined a batch already collected and is in no worklist"
    )
    assert not Case.objects.filter(handoff__status=Handoff.Status.COLLECTED, received_at__isnull=True).exists()
