"""Fixtures of the feedback tests: the back-office tests' small hall (officers, a lead, a supervisor), with a
concluded case and a finished visit to rate."""

import datetime as dt

import pytest
from django.utils import timezone

from yichuang.backoffice import services as office_services
from yichuang.backoffice.tests.conftest import (  # noqa: F401 - fixtures
    _media,
    django_db_setup,
    office,
    take_in,
)
from yichuang.intake.tests.helpers import T0
from yichuang.queue.models import Ticket


def concluded_case(o, *, at=T0, officer=None):
    """A PERMIT case (县市场监督管理局) accepted at `at`, claimed by `officer` and approved an hour later."""
    case = take_in(o.hall, now=at)
    officer = officer or o.officer
    office_services.claim(case, officer, now=at + dt.timedelta(minutes=30))
    office_services.conclude(case, officer, outcome="approved", now=at + dt.timedelta(hours=1))
    case.refresh_from_db()
    return case


def finished_ticket(window, clerk, *, at=None, seq=1):
    """A visit just finished at `window`, served by `clerk`."""
    at = at or timezone.now()
    zone = window.zone
    return Ticket.objects.create(
        zone=zone,
        issued_zone=zone,
        date=timezone.localdate(at),
        seq=seq,
        number=f"{zone.ticket_letter}{seq:03d}",
        status=Ticket.Status.FINISHED,
        issued_at=at - dt.timedelta(minutes=20),
        queued_at=at - dt.timedelta(minutes=20),
        called_at=at - dt.timedelta(minutes=10),
        served_at=at - dt.timedelta(minutes=9),
        finished_at=at,
        window=window,
        called_by=clerk,
    )


@pytest.fixture
def case(office):  # noqa: F811
    return concluded_case(office)
