"""Set the clock columns of cases accepted before the case clock existed (open cases with an empty budget):
the budget from acceptance to the deadline, and the yellow threshold and moment with the default rules. A case
whose deadline lies in a year the calendar does not know is left as it was (it can only turn red)."""

from decimal import Decimal

from django.db import migrations

HOUR_US = Decimal(3_600_000_000)


def backfill(apps, schema_editor):
    from yichuang.clock.workcalendar import DEFAULT_HOURS, CalendarUnknown, WorkCalendar

    Case = apps.get_model("intake", "Case")
    OpeningPeriod = apps.get_model("organisation", "OpeningPeriod")
    CalendarOverride = apps.get_model("clock", "CalendarOverride")
    CalendarYear = apps.get_model("clock", "CalendarYear")
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    complete = list(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))
    calendars = {}
    cases = Case.objects.filter(status="accepted", budget_us=0, warn_at__isnull=True).select_related("submission")
    for case in cases.iterator(chunk_size=500):
        site_id = case.submission.site_id
        if site_id not in calendars:
            hours = {}
            for p in OpeningPeriod.objects.filter(site_id=site_id).order_by("weekday", "start"):
                hours.setdefault(p.weekday, []).append((p.start, p.end))
            calendar = WorkCalendar(hours=hours or DEFAULT_HOURS, overrides=overrides, complete_years=complete)
            day_us = max(calendar._day_us[wd] for wd in range(5))
            calendars[site_id] = (calendar, day_us)
        calendar, day_us = calendars[site_id]
        snap = case.matter_snapshot or {}
        limit = Decimal(str(snap.get("promised_limit") or 0))
        whole_days = snap.get("limit_unit") == "working_days" and limit > 0 and limit == limit.to_integral_value()
        warn_us = 2 * day_us if whole_days else int(HOUR_US)
        try:
            case.budget_us = max(0, calendar.working_us_between(case.accepted_at, case.due_at))
            case.warn_at = calendar.subtract_working_hours(case.due_at, Decimal(warn_us) / HOUR_US)
        except CalendarUnknown:
            continue
        case.warn_us = warn_us
        case.save(update_fields=["budget_us", "warn_us", "warn_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0004_case_clock"),
        ("clock", "0002_clockrules"),
        ("organisation", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
