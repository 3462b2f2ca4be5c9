"""Fixtures of the supervision tests: the back-office tests' small hall (officers, a lead, a supervisor) and
cases at every level at one moment (`NOW`)."""

import datetime as dt
from dataclasses import dataclass

import pytest

from yichuang.backoffice import services as backoffice
from yichuang.backoffice.tests.conftest import (  # noqa: F401  (fixtures)
    Office,
    _media,
    django_db_setup,
    office,
    take_in,
)
from yichuang.intake.tests.helpers import T0

# Thursday 12 March 2026, 10:00: a case accepted on Tuesday 3 March (PERMIT: 3 working days) is red, one accepted
# on Tuesday 10 March (due Friday 13th 17:30, 2 working days warning) is yellow, one accepted this morning green.
NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=T0.tzinfo)


@dataclass
class Cases:
    red: object
    yellow: object
    green: object
    concluded: object


@pytest.fixture
def cases(office: Office) -> Cases:  # noqa: F811
    hall = office.hall
    red = take_in(hall, now=T0 - dt.timedelta(days=7))
    yellow = take_in(hall, now=T0)
    green = take_in(hall, now=NOW - dt.timedelta(minutes=30))
    concluded = take_in(hall, now=T0 - dt.timedelta(days=7))
    backoffice.claim(concluded, office.officer, now=T0 - dt.timedelta(days=7))
    backoffice.conclude(concluded, office.officer, outcome="approved", now=T0 - dt.timedelta(days=6))
    return Cases(red=red, yellow=yellow, green=green, concluded=concluded)
