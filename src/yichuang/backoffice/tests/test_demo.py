"""The demo's back-office history: played through the services, every colour in the worklists, loaded once."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command

from yichuang.backoffice import queries
from yichuang.backoffice.demo import KEY, STORIES
from yichuang.backoffice.models import Correction, Decision, Extension, SpecialProcedure
from yichuang.intake.models import Case, Handoff, Submission
from yichuang.organisation.models import User

pytestmark = pytest.mark.django_db

# A Wednesday morning in the demo's December: every deadline of the stories falls within 2026.
NOW = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def demo(monkeypatch):
    """`yichuang demo --no-serve` as if run at NOW (the ticket history is not what this tests)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def levels(username: str) -> Counter:
    user = User.objects.get(username=username)
    return Counter(case.level for case in queries.worklist(user, now=NOW))


def test_demo_worklists_have_every_colour_and_each_step(demo):
    assert "后台审批历史" in demo and "未载入" not in demo
    assert Submission.objects.filter(idempotency_key__startswith=KEY).count() == len(STORIES)
    market = levels("officer_market")
    assert market["green"] >= 1 and market["yellow"] >= 1 and market["red"] >= 1
    resources = levels("officer_natural_resources")
    assert resources["green"] >= 1 and resources["yellow"] >= 1 and resources["red"] >= 1
    for username in ["officer_tax", "officer_housing_fund", "officer_water_supply", "officer_civil_affairs"]:
        assert sum(levels(username).values()) >= 1, username

    assert Case.objects.filter(status="correction").count() == 1
    assert Correction.objects.count() == 1
    assert Case.objects.filter(status="special").count() == 1
    assert SpecialProcedure.objects.filter(ended_at__isnull=True).count() == 1
    pending = Extension.objects.get(status=Extension.Status.PENDING)
    assert pending.case.department.code == "market"  # for lead_market to decide
    assert Decision.objects.filter(outcome=Decision.Outcome.APPROVED).count() >= 3
    assert Decision.objects.filter(outcome=Decision.Outcome.REJECTED).count() == 1

    civil = Handoff.objects.filter(department__code="civil_affairs")
    assert civil.filter(status=Handoff.Status.OPEN).exists()
    assert civil.filter(status=Handoff.Status.COLLECTED).exists()
    waiting = Case.objects.filter(handoff__status=Handoff.Status.OPEN, department__code="civil_affairs")
    assert waiting.count() == 2 and not waiting.filter(received_at__isnull=False).exists()


def test_demo_history_is_loaded_once(demo):
    counts = (Case.objects.count(), Extension.objects.count(), Decision.objects.count(), Handoff.objects.count())
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "后台审批历史：已有，未改动" in out.getvalue()
    assert (Case.objects.count(), Extension.objects.count(), Decision.objects.count(), Handoff.objects.count()) == (
        counts
    )
