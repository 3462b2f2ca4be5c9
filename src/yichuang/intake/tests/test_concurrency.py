"""Eight intakes at once get eight distinct, well-formed numbers; eight retries with one key make one.

On PostgreSQL the threads run here, each with its own connection to the test database; on SQLite the same
hammer runs in a subprocess against a temporary database file (see hammer.py).
"""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from . import hammer
from .helpers import build_hall

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def check_distinct(result: dict):
    assert result["errors"] == []
    numbers = result["numbers"]
    assert len(numbers) == hammer.THREADS and len(set(numbers)) == hammer.THREADS
    assert sorted(result["returned"]) == numbers
    assert result["well_formed"] and result["cases_well_formed"] and result["cases_unique"]
    assert [int(n[-6:]) for n in numbers] == list(range(1, hammer.THREADS + 1))  # no gap, no duplicate
    assert result["cases"] == 3 * hammer.THREADS
    assert result["applicants"] == 1  # the same new applicant, created once
    assert result["phones"] == sorted(hammer.PHONES * (hammer.THREADS // 2))  # each as given
    assert result["contacts"] == sorted(hammer.PHONES)  # each new phone recorded once


def check_idempotent(result: dict):
    assert result["errors"] == []
    assert len(result["numbers"]) == 1 and result["cases"] == 3
    assert result["returned"] == result["numbers"] * hammer.THREADS
    assert len(result["phones"]) == 1 and result["contacts"] == result["phones"]


def run_on_sqlite_file(tmp_path, *args) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hammer.sqlite3'}",
        "YICHUANG_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yichuang.settings",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
    }
    done = subprocess.run(
        [sys.executable, "-m", "yichuang.intake.tests.hammer", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["vendor"] == "sqlite"
    return result


@pytest.mark.django_db(transaction=True)
def test_eight_intakes_at_once_on_postgresql():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: test_eight_intakes_at_once_on_a_sqlite_file")
    check_distinct(hammer.submit_at_once(build_hall()))


@pytest.mark.django_db(transaction=True)
def test_one_key_eight_times_at_once_on_postgresql():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite: test_one_key_eight_times_at_once_on_a_sqlite_file")
    check_idempotent(hammer.submit_at_once(build_hall(), key="retry-3f2a"))


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL run uses the in-process test")
def test_eight_intakes_at_once_on_a_sqlite_file(tmp_path):
    check_distinct(run_on_sqlite_file(tmp_path))


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL run uses the in-process test")
def test_one_key_eight_times_at_once_on_a_sqlite_file(tmp_path):
    check_idempotent(run_on_sqlite_file(tmp_path, "retry-3f2a"))
