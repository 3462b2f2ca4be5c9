"""Reads for the working clock."""

from django.db.models import Q
from django.utils import timezone

from yichuang.organisation.models import OpeningPeriod

from .models import CalendarOverride, CalendarYear


def calendar_source() -> tuple:
    """What `WorkCalendar.default()` is built from, as a hashable value (also the key of its process cache):
    (((date, is_workday), ...), (complete year, ...), (assumed year, ...), ((weekday, ((start, end), ...)), ...)).
    The hours part is empty when there is no default site or it has no opening periods."""
    overrides = tuple(CalendarOverride.objects.order_by("date").values_list("date", "is_workday"))
    years = list(CalendarYear.objects.filter(Q(complete=True) | Q(assumed=True)).values_list("year", "complete"))
    complete_years = tuple(sorted(year for year, complete in years if complete))
    assumed_years = tuple(sorted(year for year, complete in years if not complete))
    by_weekday: dict[int, list] = {}
    periods = OpeningPeriod.objects.filter(site__is_default=True).order_by("weekday", "start")
    for weekday, start, end in periods.values_list("weekday", "start", "end"):
        by_weekday.setdefault(weekday, []).append((start, end))
    hours = tuple((weekday, tuple(pairs)) for weekday, pairs in by_weekday.items())
    return overrides, complete_years, assumed_years, hours


def calendar_warnings_today() -> list[str]:
    """Today's warnings about the working calendar (`workcalendar.calendar_warnings`), for the pages where
    intakes are taken in and deadlines watched: staff learn before an intake is refused for it."""
    from .workcalendar import calendar_warnings

    return calendar_warnings(timezone.localdate())

