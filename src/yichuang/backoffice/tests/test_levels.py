"""The warning level of a case is the same in SQL (`level_expression`, `red_q`, `yellow_q`) and in Python
(`caseclock.level`) for any state and moment, boundaries included — on both databases."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yichuang.clock import caseclock
from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import T0

from .conftest import take_in

NOW = T0
STATUSES = ["accepted", "in_progress", "correction", "special", "approved", "rejected", "terminated"]
HOUR = 3_600_000_000

# Offsets from NOW in µs: boundaries (0, ±1) and anything within a few weeks.
offsets = st.one_of(st.integers(-2, 2), st.integers(-30 * 24 * HOUR, 30 * 24 * HOUR))
amounts = st.one_of(st.integers(-2, 2), st.sampled_from([7 * HOUR, 14 * HOUR]), st.integers(-40 * HOUR, 40 * HOUR))


@st.composite
def states(draw):
    status = draw(st.sampled_from(STATUSES))
    due = NOW + dt.timedelta(microseconds=draw(offsets))
    warn_us = draw(st.sampled_from([HOUR, 14 * HOUR]) | st.integers(0, 20 * HOUR))
    warn_at = draw(
        st.one_of(
            st.none(),
            st.just(due - dt.timedelta(microseconds=warn_us)),
            offsets.map(lambda us: NOW + dt.timedelta(microseconds=us)),
        )
    )
    paused = status in ("correction", "special")
    left = draw(st.one_of(st.just(warn_us), amounts)) if paused else draw(st.one_of(st.none(), amounts))
    return {
        "status": status,
        "due_at": due,
        "warn_at": warn_at,
        "warn_us": warn_us,
        "left_us": left,
        "paused_at": None if left is None else NOW - dt.timedelta(hours=1),  # set together (a check constraint)
    }


@pytest.fixture
def office_cases(office) -> list[int]:
    return [take_in(office.hall).pk for _ in range(4)]


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPERTY
@given(data=st.lists(states(), min_size=4, max_size=4), moment=offsets)
def test_levels_are_the_same_in_sql_and_python(office_cases, data, moment):
    now = NOW + dt.timedelta(microseconds=moment)
    for pk, state in zip(office_cases, data, strict=True):
        Case.objects.filter(pk=pk).update(**state)
    cases = Case.objects.filter(pk__in=office_cases)
    from_sql = dict(cases.annotate(level=caseclock.level_expression(now)).values_list("pk", "level"))
    in_python = {case.pk: caseclock.level(case, now) for case in cases}
    assert from_sql == in_python
    red = {pk for pk, level in in_python.items() if level == caseclock.RED}
    yellow = {pk for pk, level in in_python.items() if level == caseclock.YELLOW}
    assert set(cases.filter(caseclock.red_q(now)).values_list("pk", flat=True)) == red
    assert set(cases.filter(caseclock.yellow_q(now)).values_list("pk", flat=True)) == yellow


def test_levels_through_a_related_prefix(office):
    """level_expression(prefix=…) reads the same columns through a relation (used by the supervisor's lists)."""
    from yichuang.backoffice.models import Alert

    case = take_in(office.hall)
    Alert.objects.create(kind="case_yellow", subject=case.number, case=case, department=case.department)
    for now in (NOW, case.warn_at, case.due_at, case.due_at + dt.timedelta(microseconds=1)):
        level = Alert.objects.annotate(level=caseclock.level_expression(now, "case")).values_list("level", flat=True)
        assert list(level) == [caseclock.level(case, now)]
