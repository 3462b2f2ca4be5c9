"""一次评价 (好差评): every change of feedback state, one function per transition.

* `rate()` — one rating of a visit (ticket) or a case from one channel; validated, who/where fixed at rating
  time, a bad one (1–2) opens its `Rectification` in the same transaction. One rating per subject and channel:
  the unique constraints decide (also when two arrive at once), the loser gets a ValidationError.
* `pair_pad()` / `pad_for()` — the rating pad beside a window (the secret is kept only as a hash).
* `record_follow_up()`, `resolve()` — 回访 and 整改 by the person responsible (real-name bad ratings: the
  follow-up is mandatory before resolving).
* `appeal()`, `review_appeal()` — 申诉复核; the rating itself never changes.
* `apply_default_ratings()` — 默认评价 of concluded cases not rated in time, when the hall turned it on.

Ratings are never edited or deleted: there is no function for it and the model refuses.
"""

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.clock.workcalendar import DEFAULT_HOURS, SHANGHAI, CalendarUnknown, WorkCalendar
from yichuang.core import audit
from yichuang.exchange import outbox as exchange_outbox
from yichuang.intake import deadlines
from yichuang.intake.models import CONCLUDED_STATUSES, Case
from yichuang.organisation.models import Seat, Site, Window
from yichuang.organisation.roles import Role, acts_as, has_any_role, member_of
from yichuang.performance import services as performance

from .models import (
    ONLINE_DIMENSIONS,
    ONSITE_DIMENSIONS,
    Appeal,
    Channel,
    Evaluation,
    FeedbackRules,
    RatingPad,
    Rectification,
)

# The fixed list of tags a person may pick (标签); the same for every channel.
TAGS = {
    "quick": _("办事快捷"),
    "friendly": _("态度热情"),
    "clear": _("一次告知清楚"),
    "professional": _("业务熟练"),
    "slow": _("等候时间长"),
    "unclear": _("告知不清楚"),
    "attitude": _("态度生硬"),
    "repeat": _("多次跑腿"),
}
COMMENT_LIMIT = 500
TEXT_LIMIT = 2000

logger = logging.getLogger(__name__)


def dimensions_for(channel: str) -> dict:
    return ONSITE_DIMENSIONS if channel == Channel.PAD else ONLINE_DIMENSIONS


def _text(value, field: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("内容含有不允许的控制字符。")]})
    if required and not text:
        raise ValidationError({field: [_("此项为必填。")]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def _level(value, field: str = "level") -> int:
    if isinstance(value, bool):
        raise ValidationError({field: [_("评价等级须为 1 至 5。")]})
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("评价等级须为 1 至 5。")]}) from None
    if str(level) != str(value).strip() and not isinstance(value, int):
        raise ValidationError({field: [_("评价等级须为 1 至 5。")]})
    if not 1 <= level <= 5:
        raise ValidationError({field: [_("评价等级须为 1 至 5。")]})
    return level


def _dimensions(value, channel: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError({"dimensions": [_("分项评价格式不正确。")]})
    allowed = dimensions_for(channel)
    out = {}
    for key, score in value.items():
        if key not in allowed:
            raise ValidationError({f"dimensions.{key}": [_("该渠道没有此分项评价。")]})
        if score in (None, ""):
            continue
        out[key] = _level(score, f"dimensions.{key}")
    return out


def _tags(value) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"tags": [_("标签格式不正确。")]})
    out = []
    for tag in value:
        if tag not in TAGS:
            raise ValidationError({"tags": [_("未知的标签：%(tag)s") % {"tag": str(tag)[:20]}]})
        if tag not in out:
            out.append(tag)
    return out


def has_role_at_hall(user) -> bool:
    return has_any_role(user)


def _seated_staff(window: Window | None, now: dt.datetime):
    if window is None:
        return None
    seat = (
        Seat.objects.filter(window=window, since__lte=now)
        .filter(until__isnull=True)
        .select_related("user")
        .order_by("-since")
        .first()
    ) or Seat.objects.filter(window=window, since__lte=now, until__gte=now).select_related("user").first()
    return seat.user if seat else None


def _site_of(window, ticket, case) -> Site | None:
    if window is not None:
        return window.zone.site
    if ticket is not None:
        return ticket.zone.site
    if case is not None:
        return case.submission.site
    return Site.objects.filter(is_default=True).first()


def rectification_due(site: Site | None, now: dt.datetime, days: int) -> dt.datetime:
    """The close of the `days`-th working day after the day of the rating (the working-time clock). Raises
    CalendarUnknown when the count needs a year nobody has entered: the caller keeps the due time pending
    (nothing is guessed)."""
    day = timezone.localtime(now, SHANGHAI).date()
    site = site or Site.objects.filter(is_default=True).first()
    if site is None:  # no hall set up yet: the hall's calendar with the standard hours
        last = WorkCalendar.default().add_working_days(day, days)
        return dt.datetime.combine(last, dt.time.fromisoformat(DEFAULT_HOURS[-1][1]), tzinfo=SHANGHAI)
    clock = deadlines.site_calendar(site)
    return clock.close(clock.calendar.add_working_days(day, days))


def _pending_log(rect: "Rectification", year: int) -> None:
    # For the administrator, in the server log: what to enter (no personal data).
    logger.warning(
        "rectification %s: due time pending until the holidays of %s are entered (clock admin: 日历年份)",
        rect.pk,
        year,
    )


# --- rating ------------------------------------------------------------------------------------------


def rate(
    *,
    level,
    channel: str,
    ticket=None,
    case=None,
    window=None,
    dimensions=None,
    tags=None,
    comment: str = "",
    real_name: bool = False,
    now: dt.datetime | None = None,
    request=None,
) -> Evaluation:
    """Record one rating. `window` is where it was given (the pad's window); default the ticket's window or the
    window that took the case in. Raises ValidationError (bad input, already rated on this channel)."""
    now = now or timezone.now()
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的评价渠道。")]})
    if ticket is None and case is None:
        raise ValidationError(_("请指明评价的办件或排队号。"))
    level = _level(level)
    dims = _dimensions(dimensions, channel)
    tag_list = _tags(tags)
    comment = _text(comment, "comment", required=False, limit=COMMENT_LIMIT)
    try:
        with transaction.atomic():
            evaluation = _rate(level, channel, ticket, case, window, dims, tag_list, comment, bool(real_name), now)
            audit.record(
                None,
                "feedback.rate",
                evaluation,
                summary=f"{case.number if case else ticket.number} {channel} {level}",
                request=request,
            )
    except IntegrityError:
        raise ValidationError(_already_rated(case, channel)) from None
    return evaluation


def _already_rated(case, channel) -> str:
    what = _("该办件") if case is not None else _("本次服务")
    return _("%(what)s已经通过“%(channel)s”评价过，不能重复评价。") % {
        "what": what,
        "channel": Channel(channel).label,
    }


def _rate(level, channel, ticket, case, window, dims, tag_list, comment, real_name, now) -> Evaluation:
    if case is not None:
        case = Case.objects.select_related("submission__site", "submission__window__zone", "department").get(pk=case.pk)
        if case.status not in CONCLUDED_STATUSES:
            raise ValidationError({"case": [_("办件办结后才能评价。")]})
        existing = Evaluation.objects.filter(case=case, channel=channel)
    else:
        existing = Evaluation.objects.filter(ticket=ticket, case__isnull=True, channel=channel)
        if ticket.finished_at is None:
            raise ValidationError({"ticket": [_("服务结束后才能评价。")]})
    if existing.exists():
        raise ValidationError(_already_rated(case, channel))
    if window is None:
        window = ticket.window if ticket is not None else case.submission.window
    if window is not None:
        window = Window.objects.select_related("zone__site").get(pk=window.pk)
    # The person responsible: the case's assignee; else whoever served at the window.
    staff = None
    if case is not None and case.assignee_id:
        staff = case.assignee
    elif ticket is not None and ticket.called_by_id:
        staff = ticket.called_by
    else:
        staff = _seated_staff(window, now)
    department = case.department if case is not None else (window.department if window is not None else None)
    zone = window.zone if window is not None else (ticket.zone if ticket is not None else None)
    evaluation = Evaluation(
        ticket=ticket if ticket is not None else (case.submission.ticket if case is not None else None),
        case=case,
        channel=channel,
        level=level,
        dimensions=dims,
        tags=tag_list,
        comment=comment,
        real_name=real_name,
        window=window,
        staff=staff,
        department=department,
        zone=zone,
        created_at=now,
    )
    # The related rows were just read here; the database checks the rest (constraints, foreign keys).
    evaluation.full_clean(
        exclude=["ticket", "case", "window", "staff", "department", "zone"],
        validate_unique=False,
        validate_constraints=False,
    )
    evaluation.save()
    exchange_outbox.publish_rating(evaluation)
    performance.touch(now)  # a rating given on a day that is over (a backdated `now`): that day's rollup is stale
    if evaluation.is_bad:
        days = FeedbackRules.current().rectification_days
        # A rating is never refused for the calendar (it is the citizen's voice); the due time waits instead.
        try:
            due_at, pending = rectification_due(_site_of(window, ticket, case), now, days), None
        except CalendarUnknown as exc:
            due_at, pending = None, exc.year
        rect = Rectification.objects.create(
            evaluation=evaluation,
            department=department if case is not None else None,
            assignee=staff,
            due_at=due_at,
            due_days=days,
            due_pending_year=pending,
            follow_up_required=real_name,
            created_at=now,
        )
        if pending is not None:
            _pending_log(rect, pending)
        from yichuang.hall import services as hall  # the hall manager's alert, in this same transaction

        hall.bad_rating(evaluation)
    return evaluation


# --- rating pads ---------------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(str(secret).encode()).hexdigest()


@transaction.atomic
def pair_pad(window: Window, actor, *, now=None, request=None) -> str:
    """Pair the tablet beside `window`: a new secret (returned once, kept by the tablet); re-pairing replaces
    the old one, so a lost tablet stops working."""
    now = now or timezone.now()
    if not has_role_at_hall(actor):
        raise PermissionDenied(_("只有大厅工作人员可以配对评价器。"))
    if actor.site_id and actor.site_id != window.zone.site_id and not actor.is_superuser:
        raise PermissionDenied(_("只能配对本场所的窗口评价器。"))
    secret = secrets.token_urlsafe(32)
    RatingPad.objects.update_or_create(
        window=window, defaults={"secret_hash": _hash(secret), "paired_by": actor, "paired_at": now}
    )
    audit.record(actor, "feedback.pair_pad", window, summary=str(window), request=request)
    return secret


def pad_for(window: Window | int, secret: str | None) -> RatingPad | None:
    """The window's pad if `secret` is its current secret, else None."""
    if not secret:
        return None
    window_id = window.pk if isinstance(window, Window) else window
    pad = RatingPad.objects.select_related("window__zone__site").filter(window_id=window_id).first()
    if pad is None or not hmac.compare_digest(pad.secret_hash, _hash(secret)):
        return None
    return pad


# --- rectification -------------------------------------------------------------------------------------


def _is_lead_of(user, department_id) -> bool:
    return member_of(user, department_id, Role.DEPARTMENT_LEAD)


def _is_supervisor(user) -> bool:
    return acts_as(user, Role.SUPERVISOR)


def may_handle(user, rectification: Rectification) -> bool:
    """The person responsible, a lead of the responsible department, or a supervisor."""
    if not has_role_at_hall(user):
        return False
    return bool(
        rectification.assignee_id == user.pk
        or _is_lead_of(user, rectification.department_id)
        or (rectification.assignee_id is None and member_of(user, rectification.department_id, Role.BACKOFFICE_OFFICER))
        or _is_supervisor(user)
    )


def _locked_rectification(rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update()
        .select_related("evaluation")
        .get(pk=getattr(rectification, "pk", rectification))
    )


@transaction.atomic
def record_follow_up(rectification, actor, note: str, *, now=None, request=None) -> Rectification:
    """回访: the call to the person who rated; recorded once (a later call is written into the resolution)."""
    now = now or timezone.now()
    rect = _locked_rectification(rectification)
    if not may_handle(actor, rect):
        raise PermissionDenied(_("只有责任人、部门负责人或督办人员可以回访。"))
    if rect.follow_up_at is not None:
        raise ValidationError(_("已经回访过。"))
    rect.follow_up_note = _text(note, "note")
    rect.follow_up_at = now
    rect.follow_up_by = actor
    rect.save(update_fields=["follow_up_note", "follow_up_at", "follow_up_by"])
    audit.record(actor, "feedback.follow_up", rect, summary=str(rect.pk), request=request)
    return rect


@transaction.atomic
def resolve(rectification, actor, status: str, resolution: str, *, now=None, request=None) -> Rectification:
    """整改完成: fixed (已整改) or explained (已说明), with what was done."""
    now = now or timezone.now()
    rect = _locked_rectification(rectification)
    if not may_handle(actor, rect):
        raise PermissionDenied(_("只有责任人、部门负责人或督办人员可以办结整改。"))
    if rect.status != Rectification.Status.OPEN:
        raise ValidationError(_("该整改已经办结。"))
    if status not in (Rectification.Status.FIXED, Rectification.Status.EXPLAINED):
        raise ValidationError({"status": [_("请选择已整改或已说明。")]})
    if (rect.follow_up_required or rect.evaluation.real_name) and rect.follow_up_at is None:
        raise ValidationError(_("实名差评须先回访，才能办结整改。"))
    rect.resolution = _text(resolution, "resolution")
    rect.status = status
    rect.resolved_at = now
    rect.resolved_by = actor
    rect.save(update_fields=["resolution", "status", "resolved_at", "resolved_by"])
    audit.record(actor, "feedback.resolve", rect, summary=f"{rect.pk} {status}", request=request)
    return rect


# --- due times waiting for the calendar ----------------------------------------------------------------


def fill_pending_dues(progress=None) -> int:
    """Set the due time of every rectification that waits for a year's holidays, once that year is known (run by
    the back office's sweep). Counted from the day of the rating with the limit of that day (`due_days`); a limit
    that now stops at a later unknown year waits for that one. Safe twice or by two workers (row lock, re-check).
    Returns how many were set; `progress(text)` is told the outcome."""
    years = set(Rectification.objects.filter(due_at__isnull=True).values_list("due_pending_year", flat=True))
    if not years:
        return 0
    calendar = WorkCalendar.default()
    ready = sorted(y for y in years if calendar.is_known(y))
    filled = 0
    waiting = Rectification.objects.filter(due_at__isnull=True, due_pending_year__in=ready)
    for pk in waiting.order_by("pk").values_list("pk", flat=True):
        filled += _fill_due(pk)
    if progress:
        still = sorted(years - set(ready))
        progress(
            f"差评整改期限补算：{filled}" + (f"（仍待{'、'.join(map(str, still))}年节假日安排录入）" if still else "")
        )
    return filled


@transaction.atomic
def _fill_due(pk: int) -> int:
    rect = Rectification.objects.select_for_update().filter(pk=pk, due_at__isnull=True).first()
    if rect is None:  # another worker set it
        return 0
    evaluation = Evaluation.objects.select_related(
        "window__zone__site", "ticket__zone__site", "case__submission__site"
    ).get(pk=rect.evaluation_id)
    # The site as at rating time (`_rate`): where it was rated, else the visit's zone, else the case's intake site.
    site = _site_of(evaluation.window, evaluation.ticket if evaluation.case_id is None else None, evaluation.case)
    try:
        rect.due_at = rectification_due(site, rect.created_at, rect.due_days)
    except CalendarUnknown as exc:
        if exc.year != rect.due_pending_year:
            rect.due_pending_year = exc.year
            rect.save(update_fields=["due_pending_year"])
            _pending_log(rect, exc.year)
        return 0
    waited_for = rect.due_pending_year
    rect.due_pending_year = None
    rect.save(update_fields=["due_at", "due_pending_year"])
    audit.record(
        None,
        "feedback.rectification_due",
        rect,
        summary=f"{rect.pk} {rect.due_at.isoformat()}",
        year=waited_for,
    )
    return 1


# --- appeals -------------------------------------------------------------------------------------------


def may_appeal(user, evaluation: Evaluation) -> bool:
    """The member of staff rated (or made responsible) and the lead of the department concerned."""
    if not has_role_at_hall(user):
        return False
    rect = getattr(evaluation, "rectification", None) if hasattr(evaluation, "rectification") else None
    concerned = {evaluation.staff_id, rect.assignee_id if rect else None} - {None}
    if user.pk in concerned:
        return True
    departments = {evaluation.department_id}
    if evaluation.staff_id:
        departments.add(evaluation.staff.department_id)
    return any(_is_lead_of(user, d) for d in departments - {None})


def may_review(user) -> bool:
    return has_role_at_hall(user) and _is_supervisor(user)


@transaction.atomic
def appeal(evaluation: Evaluation, actor, reason: str, *, now=None, request=None) -> Appeal:
    """申诉: the rating is claimed wrongful (malicious, not about this service …); one pending at a time."""
    now = now or timezone.now()
    evaluation = Evaluation.objects.select_related("staff").get(pk=evaluation.pk)
    if not may_appeal(actor, evaluation):
        raise PermissionDenied(_("只有被评价人员或其部门负责人可以申诉。"))
    reason = _text(reason, "reason")
    if Appeal.objects.filter(evaluation=evaluation, status=Appeal.Status.PENDING).exists():
        raise ValidationError(_("该评价已有待复核的申诉。"))
    try:
        with transaction.atomic():
            created = Appeal.objects.create(evaluation=evaluation, reason=reason, appealed_by=actor, appealed_at=now)
    except IntegrityError:
        raise ValidationError(_("该评价已有待复核的申诉。")) from None
    audit.record(actor, "feedback.appeal", created, summary=str(evaluation.pk), request=request)
    return created


@transaction.atomic
def review_appeal(appeal: Appeal, actor, upheld: bool, outcome: str, *, now=None, request=None) -> Appeal:
    """复核 by a supervisor (never the appellant): upheld or dismissed, with the reasons. The rating stays."""
    now = now or timezone.now()
    found = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if not may_review(actor):
        raise PermissionDenied(_("只有督办人员可以复核申诉。"))
    if found.appealed_by_id == actor.pk:
        raise PermissionDenied(_("不能复核自己提出的申诉。"))
    if found.status != Appeal.Status.PENDING:
        raise ValidationError(_("该申诉已经复核。"))
    found.outcome = _text(outcome, "outcome")
    found.status = Appeal.Status.UPHELD if upheld else Appeal.Status.DISMISSED
    found.reviewed_by = actor
    found.reviewed_at = now
    found.save(update_fields=["outcome", "status", "reviewed_by", "reviewed_at"])
    audit.record(actor, "feedback.review_appeal", found, summary=f"{found.pk} {found.status}", request=request)
    return found


# --- default ratings -----------------------------------------------------------------------------------


def apply_default_ratings(now: dt.datetime | None = None) -> int:
    """默认评价: when FeedbackRules.default_after_days is set, each concluded case not rated at all within that
    many days after its conclusion gets one rating on the channel `default`. Idempotent: the unique
    constraint (case, channel) makes a second run — or a second worker — change nothing. Returns how many."""
    now = now or timezone.now()
    rules = FeedbackRules.current()
    if not rules.default_after_days:
        return 0
    cutoff = now - dt.timedelta(days=rules.default_after_days)
    cases = (
        Case.objects.filter(status__in=CONCLUDED_STATUSES, concluded_at__lte=cutoff)
        .exclude(evaluations__isnull=False)
        .order_by("pk")
    )
    made = 0
    for case in cases.iterator():
        try:
            rate(level=rules.default_level, channel=Channel.DEFAULT, case=case, now=now)
        except ValidationError:
            continue
        made += 1
    return made
