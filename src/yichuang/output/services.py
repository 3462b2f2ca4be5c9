"""一窗出件: results handed over at the output window (or mailed), once, a submission's cases together.

* `result_returned(case)` — called (by `backoffice.services`) inside the transaction that put a case's result
  at the output window; when the whole submission is ready the applicant is told once (RESULT_READY).
* `hand_over` / `mail` — lock the submission row, then its cases, check who acts, the receiver's identity (or
  the address and tracking number), that every case is ready and none has a deferred material outstanding,
  and that a part is handed over only when the applicant asked (`partial=True`); then one `Handover` with one
  `HandoverItem` per case (OneToOne: a case goes out once, also against a concurrent second clerk), timeline,
  audit and the HANDED_OVER message — in one transaction.
* `send_reminders(now)` — one reminder per submission and round for results not collected after
  `OutputRules.remind_after_days` (1st after N days, 2nd after 2N …); the `Reminder` row is the once-only
  record, so running it twice or on two workers sends nothing twice. Called by the back-office sweep and by
  `yichuang output remind`.

A case is *ready* when it is concluded, its result is at the output window (`returned_at`) and it has not been
handed over; it is *waiting* while it is open, or concluded (approved/rejected) with its result not yet back.
A terminated case that was never returned has nothing to hand over and is not waited for.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.intake.identity import normalise, validate_credit_code, validate_resident_id
from yichuang.intake.models import (
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    ApplicantKind,
    Case,
    CaseStatus,
    Submission,
    TimelineEvent,
)
from yichuang.intake.services import notify_applicant
from yichuang.organisation.roles import Role

from .models import Handover, HandoverItem, OutputRules, Reminder

HANDED_OVER = "handed_over"  # TimelineEvent kind on each case
MAILED = "mailed"  # TimelineEvent kind on each case
READY_NOTIFIED = "ready_notified"  # TimelineEvent kind on the submission: the "ready" message went out
SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_MAX = 300_000  # characters of the data URL
PLACE = "综合出件窗口"

READY_Q = Q(status__in=CONCLUDED_STATUSES, returned_at__isnull=False, handover_item__isnull=True)
WAITING_Q = Q(status__in=OPEN_STATUSES) | Q(
    status__in=(CaseStatus.APPROVED, CaseStatus.REJECTED), returned_at__isnull=True
)


# --- reading -----------------------------------------------------------------------------------------


def can_hand_over(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or user.has_role(Role.OUTPUT_CLERK, Role.HALL_ADMIN))
    )


def ensure_output_clerk(user) -> None:
    if not can_hand_over(user):
        raise PermissionDenied(_("只有出件人员可以办理出件。"))


def ready_cases(submission: Submission) -> list[Case]:
    """Cases whose result is at the output window and not yet handed over, in order."""
    return list(
        Case.objects.filter(READY_Q, submission_id=submission.pk).select_related("department").order_by("seq", "pk")
    )


def waiting_cases(submission: Submission) -> list[Case]:
    """Cases the output window still waits for (open, or concluded with the result not back yet)."""
    return list(Case.objects.filter(WAITING_Q, submission_id=submission.pk).order_by("seq", "pk"))


def is_ready(submission: Submission) -> bool:
    """Something to hand over and nothing left to wait for: the whole submission can go out together."""
    cases = Case.objects.filter(submission_id=submission.pk)
    return cases.filter(READY_Q).exists() and not cases.filter(WAITING_Q).exists()


def ready_since(submission: Submission) -> dt.datetime | None:
    """When the last of the ready results reached the output window."""
    return Case.objects.filter(READY_Q, submission_id=submission.pk).aggregate(at=Max("returned_at"))["at"]


@dataclass
class DeskRow:
    submission: Submission
    ready: list[Case]
    waiting: int
    since: dt.datetime
    days: int

    @property
    def complete(self) -> bool:
        return self.waiting == 0


def ready_list(*, now: dt.datetime | None = None, limit: int = 200) -> list[DeskRow]:
    """Submissions with results at the output window (all ready, or partly), longest waiting first."""
    now = now or timezone.now()
    heads = list(
        Case.objects.filter(READY_Q)
        .values("submission_id")
        .annotate(since=Max("returned_at"))
        .order_by("since", "submission_id")[:limit]
    )
    ids = [h["submission_id"] for h in heads]
    subs = Submission.objects.select_related("applicant", "bundle", "site").in_bulk(ids)
    ready: dict[int, list[Case]] = {}
    for case in Case.objects.filter(READY_Q, submission_id__in=ids).select_related("department").order_by("seq"):
        ready.setdefault(case.submission_id, []).append(case)
    waiting: dict[int, int] = {}
    for sid in Case.objects.filter(WAITING_Q, submission_id__in=ids).values_list("submission_id", flat=True):
        waiting[sid] = waiting.get(sid, 0) + 1
    return [
        DeskRow(
            submission=subs[h["submission_id"]],
            ready=ready.get(h["submission_id"], []),
            waiting=waiting.get(h["submission_id"], 0),
            since=h["since"],
            days=max(0, (timezone.localdate(now) - timezone.localtime(h["since"]).date()).days),
        )
        for h in heads
        if h["submission_id"] in subs
    ]


_NUMBER_RE = re.compile(r"^[A-Za-z0-9-]{1,60}$")


def looks_like_id_number(query: str) -> bool:
    q = normalise(query)
    return len(q) == 18 and q[:17].isalnum()


def find(query: str, *, today: dt.date | None = None) -> list[Submission]:
    """Submissions by submission number, case number, today's ticket number, or ID number (applicant's or
    agent's): the newest first. An empty or malformed query finds nothing."""
    q = normalise(query)
    if not q or not _NUMBER_RE.match(q):
        return []
    base = Submission.objects.filter(status=Submission.Status.ACCEPTED).select_related("applicant", "bundle")
    found = list(base.filter(number=q))
    if not found:
        found = list(base.filter(cases__number=q).distinct())
    if not found and len(q) <= 8:
        today = today or timezone.localdate()
        found = list(base.filter(ticket__number=q, ticket__date=today))
    if not found and looks_like_id_number(q):
        found = list(base.filter(Q(applicant__id_number=q) | Q(agent_id_number=q)).distinct()[:50])
    return found


# --- the ready message -------------------------------------------------------------------------------


def result_returned(case: Case, *, now: dt.datetime | None = None) -> bool:
    """The result of `case` is now at the output window. Tell the applicant once when the whole submission is
    ready (a bundle of six cases: one message, when the last result arrives). Returns whether it told.

    Must run inside the transaction that set `returned_at`. It locks the submission row, so two departments
    returning the last two results at the same moment serialize here: the second sees the first's case and
    sends the message."""
    now = now or timezone.now()
    submission = (
        Submission.objects.select_for_update(of=("self",)).select_related("applicant").get(pk=case.submission_id)
    )
    if not is_ready(submission):
        return False
    cases = ready_cases(submission)
    numbers = [c.number for c in cases]
    told = TimelineEvent.objects.filter(submission_id=submission.pk, case=None, kind=READY_NOTIFIED)
    if any(set(numbers) <= set(ev.detail.get("cases", [])) for ev in told):
        return False
    from yichuang.feedback.links import rating_url

    items = []
    for c in cases:
        item = {"case": c.number, "matter": c.matter_name, "status": c.get_status_display()}
        url = rating_url(c.number)
        if url:
            item["rating_url"] = url
        items.append(item)
    TimelineEvent.objects.create(
        submission_id=submission.pk, case=None, kind=READY_NOTIFIED, at=now, detail={"cases": numbers}
    )
    if all(c.status == CaseStatus.REJECTED for c in cases):
        return False  # each rejection notice already names the reasons and where to collect the decision
    notify_applicant(
        submission,
        "result_ready",
        {
            "case": numbers[0],
            "matter": cases[0].matter_name,
            "count": len(cases),
            "bundle": f"（{submission.bundle.name}）" if submission.bundle_id else "",
            "cases": items,
            "place": _(PLACE),
        },
    )
    return True


# --- handing over ------------------------------------------------------------------------------------


def _locked_submission(submission: Submission | int) -> Submission:
    pk = submission.pk if isinstance(submission, Submission) else submission
    return Submission.objects.select_for_update(of=("self",)).select_related("applicant", "bundle").get(pk=pk)


def _text(value, field: str, *, limit: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError({field: [_("此项为必填。")]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def _select(submission: Submission, cases, partial: bool) -> tuple[list[Case], bool]:
    """The locked cases to hand out now and whether that is a part of what the submission still owes."""
    all_cases = list(Case.objects.select_for_update().filter(submission_id=submission.pk).order_by("seq", "pk"))
    by_number = {c.number: c for c in all_cases}
    ready_ids = {c.pk for c in Case.objects.filter(READY_Q, submission_id=submission.pk)}
    ready = [c for c in all_cases if c.pk in ready_ids]
    if cases is None:
        chosen = ready
    else:
        chosen, seen = [], set()
        for item in cases:
            number = item.number if isinstance(item, Case) else str(item or "").strip()
            case = by_number.get(number)
            if case is None:
                raise ValidationError({"cases": [_("办件 %(n)s 不属于本次受理。") % {"n": number[:60]}]})
            if case.pk not in ready_ids:
                raise ValidationError({"cases": [_("办件 %(n)s 的结果不在出件窗口，或已领取。") % {"n": case.number}]})
            if case.pk not in seen:
                seen.add(case.pk)
                chosen.append(case)
        if not chosen:
            raise ValidationError({"cases": [_("请选择要领取的办件。")]})
    if not chosen:
        raise ValidationError(_("本次受理没有可领取的办理结果。"))
    owed = Case.objects.filter(submission_id=submission.pk).filter(READY_Q | WAITING_Q).count()
    is_part = len(chosen) < owed
    if is_part and not partial:
        raise ValidationError(
            {
                "partial": [
                    _(
                        "一件事的办理结果应一并领取：本次受理还有 %(n)d 件未领取的办件。"
                        "申请人要求先领取已办结的部分时，请勾选“部分领取”。"
                    )
                    % {"n": owed - len(chosen)}
                ]
            }
        )
    from yichuang.backoffice.services import outstanding_deferred

    for case in chosen:
        if case.status == CaseStatus.APPROVED:
            missing = outstanding_deferred(case)
            if missing:
                raise ValidationError(
                    {
                        "cases": [
                            _("办件 %(n)s 的容缺材料“%(names)s”尚未补齐，不能出证。")
                            % {"n": case.number, "names": "、".join(line.name for line in missing)}
                        ]
                    }
                )
    return chosen, is_part


def _check_identity(submission: Submission, receiver: str, id_number) -> str:
    """The normalised ID number shown, if it is the one on record for the receiver; else ValidationError."""
    if receiver not in Handover.Receiver.values:
        raise ValidationError({"receiver": [_("请选择领取人身份：申请人本人或代办人。")]})
    applicant = submission.applicant
    if receiver == Handover.Receiver.AGENT:
        if not submission.agent_id_number:
            raise ValidationError({"receiver": [_("受理时没有登记代办人，只能由申请人本人领取。")]})
        expected, validate = submission.agent_id_number, validate_resident_id
    elif applicant.kind == ApplicantKind.ORG:
        expected, validate = applicant.id_number, validate_credit_code
    else:
        expected, validate = applicant.id_number, validate_resident_id
    try:
        shown = validate(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    if shown != normalise(expected):
        who = _("代办人") if receiver == Handover.Receiver.AGENT else _("申请人")
        raise ValidationError(
            {"id_number": [_("证件号码与受理时登记的%(who)s证件号码不一致，不能领取。") % {"who": who}]}
        )
    return shown


def _signature(value) -> str:
    value = str(value or "").strip()
    if not value:
        return ""
    if not value.startswith(SIGNATURE_PREFIX) or len(value) > SIGNATURE_MAX:
        raise ValidationError({"signature": [_("签名格式不正确，请重新签名。")]})
    return value


def _finish(submission, handover: Handover, cases: list[Case], actor, kind: str, now, request, how: str) -> Handover:
    from yichuang.backoffice.models import Decision

    decisions = {d.case_id: d for d in Decision.objects.filter(case__in=cases)}
    try:
        with transaction.atomic():
            handover.full_clean()
            handover.save()
            HandoverItem.objects.bulk_create(
                [
                    HandoverItem(
                        handover=handover,
                        case=c,
                        outcome=c.status,
                        certificate_number=getattr(decisions.get(c.pk), "certificate_number", ""),
                    )
                    for c in cases
                ]
            )
    except IntegrityError:  # a case went out meanwhile (the row locks make this the last line of defence)
        raise ValidationError(_("办理结果已被领取，不能重复出件。")) from None
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                submission_id=submission.pk,
                case=c,
                kind=kind,
                at=now,
                actor=actor,
                window=handover.window,
                detail={"handover": handover.pk, "method": handover.method, "partial": handover.partial},
            )
            for c in cases
        ]
    )
    numbers = [c.number for c in cases]
    audit.record(
        actor, f"output.{kind}", handover, summary=f"{submission.number} {len(cases)}", request=request,
        cases=numbers, method=handover.method, partial=handover.partial, receiver=handover.receiver,
    )  # fmt: skip
    notify_applicant(
        submission,
        "handed_over",
        {"case": "、".join(numbers), "how": how, "count": len(numbers), "partial": handover.partial},
    )
    return handover


@transaction.atomic
def hand_over(
    submission: Submission,
    actor,
    *,
    receiver: str,
    id_number: str,
    receiver_name: str,
    signature: str = "",
    window=None,
    cases=None,
    partial: bool = False,
    now: dt.datetime | None = None,
    request=None,
) -> Handover:
    """Hand the results over at the window after checking the receiver's ID against the record (申请人 or
    代办人). The whole submission, unless the applicant asks for the ready part (`partial=True`, optionally
    with `cases`: case numbers)."""
    ensure_output_clerk(actor)
    now = now or timezone.now()
    submission = _locked_submission(submission)
    shown = _check_identity(submission, receiver, id_number)
    name = _text(receiver_name, "receiver_name", limit=100)
    signature = _signature(signature)
    chosen, is_part = _select(submission, cases, partial)
    handover = Handover(
        submission=submission,
        method=Handover.Method.IN_PERSON,
        receiver=receiver,
        receiver_name=name,
        receiver_id_masked=Handover.mask(shown),
        signature=signature,
        partial=is_part,
        window=window,
        handed_by=actor,
        handed_at=now,
    )
    return _finish(submission, handover, chosen, actor, HANDED_OVER, now, request, str(_("在出件窗口领取")))


@transaction.atomic
def mail(
    submission: Submission,
    actor,
    *,
    address: str,
    carrier: str,
    tracking_number: str,
    cases=None,
    partial: bool = False,
    window=None,
    now: dt.datetime | None = None,
    request=None,
) -> Handover:
    """Send the results by post (邮寄送达): the address and the tracking number are required."""
    ensure_output_clerk(actor)
    now = now or timezone.now()
    submission = _locked_submission(submission)
    address = _text(address, "address", limit=300)
    carrier = _text(carrier, "carrier", limit=50)
    tracking = _text(tracking_number, "tracking_number", limit=50).replace(" ", "")
    if not re.fullmatch(r"[A-Za-z0-9-]{4,50}", tracking):
        raise ValidationError({"tracking_number": [_("运单号只能包含字母、数字和“-”，至少 4 位。")]})
    chosen, is_part = _select(submission, cases, partial)
    handover = Handover(
        submission=submission,
        method=Handover.Method.MAIL,
        address=address,
        carrier=carrier,
        tracking_number=tracking,
        partial=is_part,
        window=window,
        handed_by=actor,
        handed_at=now,
    )
    how = _("由%(carrier)s寄出，运单号 %(n)s") % {"carrier": carrier, "n": tracking}
    return _finish(submission, handover, chosen, actor, MAILED, now, request, how)


# --- reminders ---------------------------------------------------------------------------------------


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind applicants whose results have waited at the window for N, 2N, 3N … days (N: remind_after_days),
    once per round. Idempotent and safe with several workers (unique Reminder per submission and round,
    inserted in the message's transaction). Returns how many reminders were sent."""
    now = now or timezone.now()
    days = OutputRules.current().remind_after_days
    cutoff = now - dt.timedelta(days=days)
    heads = (
        Case.objects.filter(READY_Q)
        .values("submission_id")
        .annotate(since=Max("returned_at"))
        .filter(since__lte=cutoff)
        .order_by("since", "submission_id")
    )
    waiting = set(Case.objects.filter(WAITING_Q).values_list("submission_id", flat=True).distinct())
    sent = 0
    for head in heads:
        if head["submission_id"] in waiting:
            continue  # partly ready: the applicant has not been told to come yet
        waited = now - head["since"]
        round_ = waited.days // days
        if round_ < 1:
            continue
        if Reminder.objects.filter(submission_id=head["submission_id"], round=round_).exists():
            continue
        if _remind(head["submission_id"], round_, waited.days, now):
            sent += 1
    return sent


def _remind(submission_id: int, round_: int, waited_days: int, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(submission_id=submission_id, round=round_, sent_at=now)
            submission = Submission.objects.select_related("applicant").get(pk=submission_id)
            if not ready_cases(submission):
                raise _Nothing
            notify_applicant(submission, "result_reminder", {"place": _(PLACE), "days": waited_days})
            audit.record(None, "output.remind", submission, summary=f"{submission.number} #{round_}")
    except (IntegrityError, _Nothing):  # another worker sent this round meanwhile / collected meanwhile
        return False
    return True


class _Nothing(Exception):
    pass
