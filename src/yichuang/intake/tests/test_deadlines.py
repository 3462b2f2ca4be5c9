"""Due times from the working-time clock: day limits end at the close of the last working day, hour limits run
inside opening hours, instant matters after the cut-off or on a day off are due the next working day."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from yichuang.catalogue.tests.factories import MatterFactory, MatterMaterialFactory
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake import deadlines, services
from yichuang.intake.models import Submission
from yichuang.organisation import services as org_services
from yichuang.organisation.models import OpeningPeriod
from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory

from .helpers import PERSON, received

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def clock(hall):
    return deadlines.site_calendar(hall.site)


def test_working_days_end_at_the_close_of_the_last_working_day(clock):
    # Tuesday 10 March + 3 working days (the day of acceptance does not count) → Friday 13 March, 17:30.
    assert clock.due("working_days", Decimal("3"), at(2026, 3, 10)) == at(2026, 3, 13, 17, 30)
    # Accepted at 17:20 or at 08:00: the same — only the day counts.
    assert clock.due("working_days", Decimal("3"), at(2026, 3, 10, 17, 20)) == at(2026, 3, 13, 17, 30)
    assert clock.due("working_days", Decimal("3"), at(2026, 3, 10, 8, 0)) == at(2026, 3, 13, 17, 30)
    # Friday + 1 → Monday.
    assert clock.due("working_days", Decimal("1"), at(2026, 3, 13)) == at(2026, 3, 16, 17, 30)


def test_working_days_skip_holidays_and_count_make_up_saturdays(clock):
    # Wednesday 30 September 2026: 1–7 October are the National Day holiday, Saturday 10 October is a workday.
    assert clock.due("working_days", Decimal("3"), at(2026, 9, 30)) == at(2026, 10, 10, 17, 30)


def test_working_hours_run_inside_opening_hours(clock):
    assert clock.due("working_hours", Decimal("2"), at(2026, 3, 10, 10)) == at(2026, 3, 10, 12, 0)
    # 11:00 + 2 h: one hour before lunch, one after 13:30.
    assert clock.due("working_hours", Decimal("2"), at(2026, 3, 10, 11)) == at(2026, 3, 10, 14, 30)
    # 17:00 + 2 h: half an hour today, 1.5 h from Wednesday's opening.
    assert clock.due("working_hours", Decimal("2"), at(2026, 3, 10, 17)) == at(2026, 3, 11, 10, 30)
    # Before opening, or on a Saturday: counting starts at the next opening.
    assert clock.due("working_hours", Decimal("0.5"), at(2026, 3, 10, 7)) == at(2026, 3, 10, 9, 30)
    assert clock.due("working_hours", Decimal("1"), at(2026, 3, 14, 11)) == at(2026, 3, 16, 10, 0)


def test_instant_matters_and_the_cut_off(clock):
    # Cut-off: 30 minutes before the 17:30 close.
    assert clock.due("instant", Decimal("0"), at(2026, 3, 10, 16, 59)) == at(2026, 3, 10, 17, 30)
    assert clock.due("instant", Decimal("0"), at(2026, 3, 10, 17, 0)) == at(2026, 3, 10, 17, 30)
    assert clock.due("instant", Decimal("0"), at(2026, 3, 10, 17, 1)) == at(2026, 3, 11, 17, 30)
    # On a Saturday (online) → Monday's close; on a holiday → the first working day after.
    assert clock.due("instant", Decimal("0"), at(2026, 3, 14, 10)) == at(2026, 3, 16, 17, 30)
    assert clock.due("instant", Decimal("0"), at(2026, 10, 3, 10)) == at(2026, 10, 8, 17, 30)


def test_the_cut_off_is_per_site(hall):
    hall.site.instant_cutoff_minutes = 60
    hall.site.save()
    clock = deadlines.site_calendar(hall.site)
    assert clock.due("instant", Decimal("0"), at(2026, 3, 10, 16, 45)) == at(2026, 3, 11, 17, 30)


def test_a_fraction_of_a_working_day_is_that_share_of_the_opening_hours(clock):
    # 0.5 of a 7-hour day = 3.5 working hours: 10:00 → 12:00 (2 h) + 1.5 h after 13:30.
    assert clock.due("working_days", Decimal("0.5"), at(2026, 3, 10, 10)) == at(2026, 3, 10, 15, 0)


def test_each_site_has_its_own_hours(db):
    township = SiteFactory(code="town", division_code="411624101", hours=False)
    for weekday in range(5):
        OpeningPeriod.objects.create(site=township, weekday=weekday, start=datetime.time(8, 30), end=datetime.time(12))
        OpeningPeriod.objects.create(site=township, weekday=weekday, start=datetime.time(14), end=datetime.time(18))
    clock = deadlines.site_calendar(township)
    assert clock.due("working_days", Decimal("1"), at(2026, 3, 10)) == at(2026, 3, 11, 18, 0)
    assert clock.due("working_hours", Decimal("3"), at(2026, 3, 10, 11)) == at(2026, 3, 10, 16, 0)
    assert clock.due("instant", Decimal("0"), at(2026, 3, 10, 17, 31)) == at(2026, 3, 11, 18, 0)


def test_next_pickup_skips_days_off(hall, clock):
    slots = list(hall.civil.pickup_slots.all())  # Tuesday 15:00, Thursday 10:00
    assert deadlines.next_pickup(slots, clock, at(2026, 3, 10, 15, 0)) == at(2026, 3, 12, 10, 0)
    # Thursday 1 October 2026 is a holiday: the next pickup is Thursday 8 October.
    assert deadlines.next_pickup(slots, clock, at(2026, 9, 30, 10)) == at(2026, 10, 8, 10, 0)
    # No slot at all: the close of the next working day.
    assert deadlines.next_pickup([], clock, at(2026, 3, 13, 10)) == at(2026, 3, 16, 17, 30)


def test_submit_uses_the_site_of_the_window(hall):
    township = SiteFactory(code="town", division_code="411624101", hours=False)
    for weekday in range(5):
        OpeningPeriod.objects.create(site=township, weekday=weekday, start=datetime.time(8, 30), end=datetime.time(18))
    zone = ZoneFactory(site=township, code="town-general", ticket_letter="T")
    window = WindowFactory(zone=zone, number=1, name="便民受理")
    clerk = UserFactory(window_clerk=True)
    org_services.take_seat(clerk, window)
    hall.licence_days.zones.add(zone)
    submission = services.submit(
        actor=clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"), now=at(2026, 3, 10)
    )
    assert submission.site == township and submission.number.startswith("411624101-20260310-")
    assert submission.cases.get().due_at == at(2026, 3, 13, 18, 0)


@pytest.mark.calendar_as_installed
def test_an_unknown_calendar_year_is_a_clear_error(hall):
    # chinesecalendar 1.11 knows 2004–2026; a limit that enters 2027 cannot be computed and nothing is guessed.
    with pytest.raises(ValidationError) as info:
        services.submit(
            actor=hall.general_clerk,
            applicant=PERSON,
            matters=["PERMIT"],
            materials=received("ID"),
            now=at(2026, 12, 29),
        )
    assert info.value.message_dict == {
        "matters[0]": ["2027年的工作日历尚未录入，无法计算办结期限；请管理员录入该年节假日安排。"]
    }
    assert Submission.objects.count() == 0


def test_a_fractional_day_matter_through_submit(hall):
    half = MatterFactory(
        code="HALF",
        name="半日办事项",
        department=hall.samr,
        zones=[hall.general],
        promised_limit=Decimal("0.5"),
        legal_limit=Decimal("1"),
    )
    MatterMaterialFactory(matter=half, material=hall.setup.requirements.get(material__code="ID").material)
    submission = services.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["HALF"], materials=received("ID"), now=at(2026, 3, 10)
    )
    assert submission.cases.get().due_at == at(2026, 3, 10, 15, 0)
