"""core.counters.bump: one statement per number, per key, rolled back with its transaction."""

import datetime

import pytest
from django.db import transaction

from yichuang.core import counters
from yichuang.intake.models import SubmissionCounter

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)


def test_numbers_per_key():
    assert [counters.bump(SubmissionCounter, division_code="411624", date=DAY) for _ in range(3)] == [1, 2, 3]
    assert counters.bump(SubmissionCounter, division_code="411624", date=DAY + datetime.timedelta(days=1)) == 1
    assert counters.bump(SubmissionCounter, division_code="411624101", date=DAY) == 1
    assert counters.bump(SubmissionCounter, flush=False, division_code="411624", date=DAY) == 4
    assert SubmissionCounter.objects.get(division_code="411624", date=DAY).last == 4


def test_a_number_drawn_in_a_rolled_back_transaction_is_drawn_again():
    assert counters.bump(SubmissionCounter, division_code="411624", date=DAY) == 1
    with transaction.atomic():
        assert counters.bump(SubmissionCounter, flush=False, division_code="411624", date=DAY) == 2
        transaction.set_rollback(True)
    assert counters.bump(SubmissionCounter, division_code="411624", date=DAY) == 2


def test_a_counter_needs_keys():
    with pytest.raises(ValueError):
        counters.bump(SubmissionCounter)
