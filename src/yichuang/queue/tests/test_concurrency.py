"""Many windows calling at once: every ticket called exactly once, numbers unique and gap-free.

On PostgreSQL the threads run here, each with its own connection to the test database. SQLite's
in-memory test database cannot be shared by threads with their own connections, so on SQLite the same
hammer runs in a subprocess against a temporary database file.
"""

import datetime
import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from yichuang.queue.models import AppointmentSlot
from yichuang.queue.tests import hammer

EXPECTED = hammer.ISSUERS * hammer.TICKETS_PER_ISSUER


def check(result: dict):
    assert result["errors"] == []
    assert result["issued"] == EXPECTED
    assert result["seqs_gap_free"] and result["numbers_unique"]
    assert result["claimed"] == result["claimed_unique"] == EXPECTED  # every ticket called exactly once
    assert result["called_events"] == result["called_events_unique"] == EXPECTED
    assert result["finished"] == EXPECTED
    assert result["windows_used"] > 1


@pytest.mark.django_db(transaction=True)
def test_many_windows_call_at_once():
    if connection.vendor == "sqlite":
        pytest.skip("runs in test_many_windows_call_at_once_on_a_sqlite_file")
    zone, seats = hammer.build_hall()
    result = hammer.hammer(zone, seats)
    check(result)


@pytest.mark.django_db(transaction=True)
def test_slot_capacity_under_concurrent_booking():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the conditional UPDATE is tested in test_appointments")
    zone, _seats = hammer.build_hall()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    slot = AppointmentSlot.objects.create(
        zone=zone, date=tomorrow, start=datetime.time(9), end=datetime.time(9, 30), capacity=3
    )
    result = hammer.book_at_once(slot, 12)
    assert result == {"errors": [], "ok": 3, "full": 9, "booked": 3, "appointments": 3}


@pytest.mark.django_db(transaction=True)
def test_a_double_click_calls_one_ticket():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the window's open ticket is checked before the claim")
    import threading

    from yichuang.queue import services
    from yichuang.queue.models import Ticket

    zone, seats = hammer.build_hall()
    window, clerk = seats[0]
    for _ in range(10):
        services.issue_ticket(zone)
    for _round in range(5):
        barrier, outcomes = threading.Barrier(4), []

        def click(barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                outcomes.append(services.call_next(window, clerk).number)
            except services.Conflict:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=click) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        held = list(Ticket.objects.filter(window=window, status__in=["called", "serving"]))
        assert len(held) == 1 and outcomes.count("refused") == 3, outcomes
        services.finish(held[0], clerk)


def test_many_windows_call_at_once_on_a_sqlite_file(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the PostgreSQL run uses test_many_windows_call_at_once")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hammer.sqlite3'}",
        "YICHUANG_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yichuang.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "yichuang.queue.tests.hammer"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["vendor"] == "sqlite"
    check(result)
