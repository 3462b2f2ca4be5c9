"""Several workers draining at once (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED): every event sent once, and
no event of a case sent before the one before it was acknowledged. SQLite serialises claimers in its IMMEDIATE
transactions (and an in-memory database cannot be shared by threads), so this runs on PostgreSQL only."""

import threading
import time

import pytest
from django.db import connection

from yichuang.core import periodic
from yichuang.exchange import services, tasks
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import Outcome

CASES, PER_CASE, WORKERS = 30, 4, 3


class Recording:
    def __init__(self):
        self.sent: list[int] = []
        self.out_of_order: list[int] = []
        self._lock = threading.Lock()

    def send(self, events, batch_id):
        for event in events:
            unsent_before = OutboxEvent.objects.filter(stream=event.stream, id__lt=event.pk).exclude(status="sent")
            if unsent_before.exists():
                self.out_of_order.append(event.pk)
        time.sleep(0.005)
        with self._lock:
            self.sent += [e.pk for e in events]
        return {e.pk: Outcome("sent") for e in events}

    def rejections(self):
        return []

    def mark_read(self, ids):
        pass

    def close(self):
        pass


@pytest.mark.django_db(transaction=True)
def test_workers_at_once_send_each_event_once_and_in_order(settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises claimers, and threads cannot share its test database")
    settings.EXCHANGE_BATCH_SIZE = 7
    OutboxEvent.objects.bulk_create(
        OutboxEvent(stream=f"C{c:03d}", table="process", kind="claimed", payload={"case_no": f"C{c:03d}"})
        for n in range(PER_CASE)
        for c in range(CASES)
    )
    target, errors = Recording(), []
    start = threading.Barrier(WORKERS)

    def work():
        try:
            start.wait()
            while services.deliver_due(target=target).sent:
                pass
        except BaseException as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(target.sent) == sorted(OutboxEvent.objects.values_list("id", flat=True))  # each once
    assert target.out_of_order == []
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"sent"}


def test_the_worker_runs_the_drain_as_a_periodic_job():
    job = {j.name: j for j in periodic.jobs()}[tasks.DRAIN]
    assert job.func is tasks.drain and job.period_setting == "EXCHANGE_DRAIN_SECONDS"
