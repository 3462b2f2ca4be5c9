"""The back office's periodic sweep (the periodic job `backoffice.sweep` that `yichuang worker` runs every
`BACKOFFICE_SWEEP_SECONDS` — see core.periodic — and `yichuang backoffice sweep`): warnings, automatic
termination, reminders of deferred materials, the correction deadline.

Every job is idempotent and safe with several workers at once:

* **warnings** — cases yellow or red now, special procedures past their own limit: one `Alert` per (kind,
  subject), inserted with ON CONFLICT DO NOTHING on the unique constraint `alert_once`;
* **termination** — a case whose deferred material was not supplied by its due date is terminated through
  `services.terminate_unsupplied` (which locks the case and re-checks, so the second worker changes nothing),
  with an Alert TERMINATED for the department in the same transaction;
* **reminders** — a deferred material due within one working day: the applicant is told once (`material_due`);
  the once-only record is an Alert MATERIAL_DUE with the material line's id as subject, created in the same
  transaction as the message (a second worker's insert waits for the first and then finds the row);
* **corrections** (`watch_corrections`) — an open correction (补正) whose due date is within
  `BackofficeRules.correction_reminder_days` working days: the applicant is reminded once, the once-only record
  an Alert CORRECTION_DUE with the case number as subject, made in the message's transaction as above; past its
  due date: when `BackofficeRules.auto_withdraw_overdue_corrections` is on, the case is deemed withdrawn through
  `services.deem_withdrawn` (system actor; it locks and re-checks), otherwise the department gets one Alert
  CORRECTION_OVERDUE and decides.
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from yichuang.clock import caseclock
from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.intake import deadlines
from yichuang.intake.models import OPEN_STATUSES, Case, CaseStatus, MaterialStatus, SubmissionMaterial
from yichuang.intake.services import notify_applicant

from . import services
from .models import Alert, BackofficeRules, Correction, SpecialProcedure

Kind = Alert.Kind


@dataclass
class SweepReport:
    yellow: int = 0
    red: int = 0
    special_overdue: int = 0
    terminated: int = 0
    reminded: int = 0
    uncollected: int = 0  # results waiting at the output window: output.services.send_reminders
    default_ratings: int = 0  # 默认评价 of concluded cases not rated in time: feedback.services
    correction_reminded: int = 0  # applicants reminded that their correction falls due
    correction_overdue: int = 0  # departments warned that a correction is overdue
    withdrawn: int = 0  # cases deemed withdrawn by the system (only when BackofficeRules allow it)
    errors: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _raise(kind: str, rows: list[tuple[str, int, int]], now: dt.datetime) -> int:
    """Insert one Alert per (kind, subject) not raised yet; returns how many were new (as far as this worker
    can tell: a concurrent worker's insert of the same subject is skipped by the database)."""
    if not rows:
        return 0
    subjects = [subject for subject, _case, _dept in rows]
    known = set(Alert.objects.filter(kind=kind, subject__in=subjects).values_list("subject", flat=True))
    new = [
        Alert(kind=kind, subject=subject, case_id=case_id, department_id=department_id, created_at=now)
        for subject, case_id, department_id in rows
        if subject not in known
    ]
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def raise_warnings(now: dt.datetime | None = None, report: SweepReport | None = None) -> SweepReport:
    """Alerts for cases that are yellow or red now and special procedures past their due time (once each)."""
    now = now or timezone.now()
    report = report or SweepReport()
    for kind, q, attr in (
        (Kind.CASE_RED, caseclock.red_q(now), "red"),
        (Kind.CASE_YELLOW, caseclock.yellow_q(now), "yellow"),
    ):
        rows = list(Case.objects.filter(q).values_list("number", "pk", "department_id"))
        setattr(report, attr, getattr(report, attr) + _raise(kind, rows, now))
    overdue = SpecialProcedure.objects.filter(ended_at__isnull=True, due_at__lt=now).values_list(
        "pk", "case__number", "case_id", "case__department_id"
    )
    rows = [(f"{number}#{pk}", case_id, dept) for pk, number, case_id, dept in overdue]
    report.special_overdue += _raise(Kind.SPECIAL_OVERDUE, rows, now)
    return report


def _open_cases_needing(line: SubmissionMaterial) -> list[Case]:
    cases = Case.objects.filter(submission_id=line.submission_id, status__in=OPEN_STATUSES).order_by("seq", "pk")
    return [c for c in cases if (c.matter_snapshot.get("code") or c.matter.code) in (line.matters or [])]


def terminate_overdue(now: dt.datetime | None = None, report: SweepReport | None = None) -> SweepReport:
    """Terminate every open case with a deferred material not supplied by its due date (容缺逾期终止)."""
    now = now or timezone.now()
    report = report or SweepReport()
    today = timezone.localtime(now).date()
    lines = SubmissionMaterial.objects.filter(
        status=MaterialStatus.DEFERRED, supplied_at__isnull=True, due__lt=today
    ).order_by("submission_id", "pk")
    seen: set[int] = set()
    for line in lines:
        for case in _open_cases_needing(line):
            if case.pk in seen:
                continue
            seen.add(case.pk)
            try:
                with transaction.atomic():
                    decision = services.terminate_unsupplied(case, now=now)
                    if decision is not None:
                        Alert.objects.get_or_create(
                            kind=Kind.TERMINATED,
                            subject=case.number,
                            defaults={"case": case, "department_id": case.department_id, "created_at": now},
                        )
                        report.terminated += 1
            except CalendarUnknown:
                report.errors += 1
    return report


def remind_due(now: dt.datetime | None = None, report: SweepReport | None = None) -> SweepReport:
    """Tell the applicant once when a deferred material falls due within one working day (from today on)."""
    now = now or timezone.now()
    report = report or SweepReport()
    today = timezone.localtime(now).date()
    lines = (
        SubmissionMaterial.objects.filter(
            status=MaterialStatus.DEFERRED,
            supplied_at__isnull=True,
            due__gte=today,
            due__lte=today + dt.timedelta(days=31),
        )
        .select_related("submission__site")
        .order_by("due", "pk")
    )
    lines = list(lines)
    reminded = set(
        Alert.objects.filter(kind=Kind.MATERIAL_DUE, subject__in=[str(line.pk) for line in lines]).values_list(
            "subject", flat=True
        )
    )
    clocks: dict[int, deadlines.SiteClock] = {}
    for line in lines:
        if str(line.pk) in reminded:
            continue
        site = line.submission.site
        clock = clocks.get(site.pk) or clocks.setdefault(site.pk, deadlines.site_calendar(site))
        try:
            horizon = clock.calendar.add_working_days(today, 1)
        except CalendarUnknown:
            report.errors += 1
            continue
        if line.due > horizon:
            continue
        cases = _open_cases_needing(line)
        if not cases:
            continue
        if _remind(line, cases[0], now):
            report.reminded += 1
    return report


def _remind(line: SubmissionMaterial, case: Case, now: dt.datetime) -> bool:
    """Record the reminder and store the message in one transaction; False when it was already sent."""
    try:
        with transaction.atomic():
            _alert, created = Alert.objects.get_or_create(
                kind=Kind.MATERIAL_DUE,
                subject=str(line.pk),
                defaults={"case": case, "department_id": case.department_id, "created_at": now},
            )
            if not created:
                return False
            notify_applicant(
                line.submission,
                "material_due",
                {"case": case.number, "material": line.name, "due": line.due.isoformat()},
            )
    except IntegrityError:  # another worker recorded it between our look and our insert
        return False
    return True


def _open_corrections(**filters):
    return Correction.objects.filter(received_at__isnull=True, case__status=CaseStatus.CORRECTION, **filters)


def watch_corrections(
    now: dt.datetime | None = None, report: SweepReport | None = None, rules: BackofficeRules | None = None
) -> SweepReport:
    """The correction (补正) deadline: withdraw overdue cases when the hall allows it, warn the department of the
    other overdue ones, remind applicants whose correction falls due soon — each once."""
    now = now or timezone.now()
    report = report or SweepReport()
    rules = rules or BackofficeRules.current()
    today = timezone.localtime(now).date()
    if rules.auto_withdraw_overdue_corrections:
        for case_id in _open_corrections(due__lt=today).order_by("due", "case_id").values_list("case_id", flat=True):
            if services.deem_withdrawn(Case(pk=case_id), None, now=now) is not None:
                report.withdrawn += 1
    overdue = _open_corrections(due__lt=today).values_list("case__number", "case_id", "case__department_id")
    report.correction_overdue += _raise(Kind.CORRECTION_OVERDUE, list(overdue), now)
    if rules.correction_reminder_days:
        remind_corrections(now, report, days=rules.correction_reminder_days)
    return report


def remind_corrections(now: dt.datetime, report: SweepReport, *, days: int) -> SweepReport:
    """Tell the applicant once when their correction falls due within `days` working days (from today on)."""
    today = timezone.localtime(now).date()
    corrections = list(
        _open_corrections(due__gte=today, due__lte=today + dt.timedelta(days=31))
        .select_related("case__submission__site")
        .order_by("due", "case_id")
    )
    reminded = set(
        Alert.objects.filter(kind=Kind.CORRECTION_DUE, subject__in=[c.case.number for c in corrections]).values_list(
            "subject", flat=True
        )
    )
    clocks: dict[int, dt.date] = {}
    for correction in corrections:
        case = correction.case
        if case.number in reminded:
            continue
        site = case.submission.site
        if site.pk not in clocks:
            try:
                clocks[site.pk] = deadlines.site_calendar(site).calendar.add_working_days(today, days)
            except CalendarUnknown:
                report.errors += 1
                continue
        if correction.due > clocks[site.pk]:
            continue
        if _remind_correction(correction, now):
            report.correction_reminded += 1
    return report


def _remind_correction(correction: Correction, now: dt.datetime) -> bool:
    """Record the reminder and store the message in one transaction; False when it was already sent."""
    case = correction.case
    try:
        with transaction.atomic():
            _alert, created = Alert.objects.get_or_create(
                kind=Kind.CORRECTION_DUE,
                subject=case.number,
                defaults={"case": case, "department_id": case.department_id, "created_at": now},
            )
            if not created:
                return False
            notify_applicant(
                case.submission,
                "correction",
                {
                    "reminder": True,
                    "case": case.number,
                    "matter": case.matter_name,
                    "items": "；".join(str(i.get("name", "")) for i in correction.items or []),
                    "due": correction.due.isoformat(),
                },
            )
    except IntegrityError:  # another worker recorded it between our look and our insert
        return False
    return True


def run(now: dt.datetime | None = None, progress=None) -> SweepReport:
    """All the back office's jobs once, then the output window's reminders of uncollected results and the default
    ratings. `progress(text)` is told after each."""
    now = now or timezone.now()
    report = SweepReport()
    raise_warnings(now, report)
    if progress:
        progress(f"预警：黄灯 {report.yellow}，红灯 {report.red}，特别程序超期 {report.special_overdue}")
    terminate_overdue(now, report)
    if progress:
        progress(f"容缺逾期终止：{report.terminated}")
    remind_due(now, report)
    if progress:
        progress(f"容缺补交提醒：{report.reminded}")
    watch_corrections(now, report)
    if progress:
        progress(
            f"补正：到期提醒 {report.correction_reminded}，逾期预警 {report.correction_overdue}，"
            f"视为撤回申请 {report.withdrawn}"
        )
    from yichuang.output.services import send_reminders

    report.uncollected = send_reminders(now)
    if progress:
        progress(f"结果待领取提醒：{report.uncollected}")
    from yichuang.feedback.services import apply_default_ratings, fill_pending_dues

    report.default_ratings = apply_default_ratings(now)
    if progress:
        progress(f"默认评价：{report.default_ratings}")
    fill_pending_dues(progress)  # 差评整改 due times that waited for a year's holidays
    return report
