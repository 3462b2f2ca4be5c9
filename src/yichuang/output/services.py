"""一窗出件: results handed over at the output window (or mailed), once, a submission's cases together.

* `result_returned(case)` — called (by `backoffice.services`) inside the transaction that put a case's result
  at the output window; when the whole submission is ready the applicant is told once (RESULT_READY).
* `hand_over` / `mail` — lock the submission row, then its cases, check who acts, who collects (申请人本人,
  法定代表人 or 委托代理人 by their own resident ID: `check_collector`) and their signature or the reason there
  is none (`_signature`) — or the address and tracking number —, that every case is ready and none has a
  deferred material outstanding, and that a part is handed over only when the applicant asked
  (`partial=True`); then one `Handover` with one `HandoverItem` per case (OneToOne: a case goes out once, also
  against a concurrent second clerk), timeline, audit and the HANDED_OVER message — in one transaction.
* `send_reminders(now)` — one reminder per submission and round for results not collected after
  `OutputRules.remind_after_days` (1st after N days, 2nd after 2N …); the `Reminder` row is the once-only
  record, so running it twice or on two workers sends nothing twice. Called by the back-office sweep and by
  `yichuang output remind`.

A case is *ready* when it is concluded, its result is at the output window (`returned_at`) and it has not been
handed over; it is *waiting* while it is open, or concluded (approved/rejected) with its result not yet back.
A terminated case that was never returned has nothing to hand over and is not waited for.
"""

import base64
import binascii
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

from yichuang.core import audit
from yichuang.exchange import outbox as exchange_outbox
from yichuang.fees import queries as fee_queries
from yichuang.fees import services as fees
from yichuang.intake.identity import normalise, validate_credit_code, validate_resident_id
from yichuang.intake.materials import outstanding_deferred
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
from yichuang.organisation.roles import Role, acts_as

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
    return acts_as(user, Role.OUTPUT_CLERK, Role.HALL_ADMIN)


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
    owing: Decimal | None = None  # fees of its ready results still unpaid (待缴费)

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
    owed = fee_queries.owing([c for cases in ready.values() for c in cases])
    owing = {sid: sum((owed[c.pk] for c in cases if c.pk in owed), Decimal(0)) for sid, cases in ready.items()}
    return [
        DeskRow(
            submission=subs[h["submission_id"]],
            ready=ready.get(h["submission_id"], []),
            waiting=waiting.get(h["submission_id"], 0),
            since=h["since"],
            days=max(0, (timezone.localdate(now) - timezone.localtime(h["since"]).date()).days),
            owing=owing.get(h["submission_id"]) or None,
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
    owed = fee_queries.owing(cases)
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
            "owing": sum(owed.values(), Decimal(0)) if owed else None,  # to be paid before the results go out
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
    fees.ensure_paid(chosen)  # a result whose fee is unpaid (待缴费) is not handed over
    return chosen, is_part


# --- who collects ------------------------------------------------------------------------------------


@dataclass
class Collector:
    """Who collects, as checked: what the handover records."""

    receiver: str
    name: str
    id_number: str  # normalised resident ID, kept only masked
    agent_on_record: bool = False
    authorisation_kept: bool = False
    representative_checked: bool = False
    proof_note: str = ""


def _person_id(value) -> str:
    """The collector's own resident ID, normalised. A credit code typed here is refused with what is needed
    instead: an organisation cannot show up at a window, the person who collects for it does."""
    try:
        return validate_resident_id(value)
    except ValidationError as exc:
        try:
            validate_credit_code(value)
        except ValidationError:
            raise ValidationError({"id_number": exc.messages}) from None
        raise ValidationError(
            {
                "id_number": [
                    _(
                        "这是统一社会信用代码（单位的代码），不能代替领取人的身份证件："
                        "请输入前来领取的人本人的居民身份证号码。"
                    )
                ]
            }
        ) from None


def check_collector(
    submission: Submission,
    *,
    receiver: str,
    id_number,
    receiver_name,
    authorisation_kept: bool = False,
    representative_checked: bool = False,
    proof_note="",
) -> Collector:
    """The collector's identity by the rules of the window; every field at fault at once (ValidationError).

    * 申请人本人 — a person applicant only; their resident ID must be the applicant's on record.
    * 法定代表人 — an organisation applicant only; their own resident ID is recorded. Intake records no legal
      representative (only the organisation's credit code and, when one acted, an agent), so there is nothing
      on record to compare with: the clerk confirms against the business licence (or a 法定代表人身份证明书)
      that the collector is the legal representative (`representative_checked`).
    * 委托代理人 — for either kind: the agent on record (same resident ID), or anyone else who brings the
      applicant's 授权委托书, which the window keeps (`authorisation_kept`).

    Only the resident ID is accepted as the collector's document: `intake.identity` checks no other (passport,
    港澳台居民往来内地通行证 …); such a collector needs an agent with a resident ID or the mail path for now."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    applicant = submission.applicant
    is_org = applicant.kind == ApplicantKind.ORG
    shown = ""
    try:
        shown = _person_id(id_number)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    try:
        name = _text(receiver_name, "receiver_name", limit=100)
    except ValidationError as exc:
        name = ""
        add("receiver_name", exc.message_dict["receiver_name"][0])
    try:
        note = _text(proof_note, "proof_note", limit=200, required=False)
    except ValidationError as exc:
        note = ""
        add("proof_note", exc.message_dict["proof_note"][0])

    collector = Collector(receiver=receiver, name=name, id_number=shown, proof_note=note)
    if receiver not in Handover.Receiver.values:
        add("receiver", _("请选择领取人身份：申请人本人、法定代表人或委托代理人。"))
    elif receiver == Handover.Receiver.APPLICANT:
        if is_org:
            add(
                "receiver",
                _("申请人是单位，不能由“申请人本人”领取：请选择法定代表人或委托代理人，核验其本人的居民身份证。"),
            )
        elif shown and shown != normalise(applicant.id_number):
            add(
                "id_number",
                _(
                    "身份证号码与受理时登记的申请人身份证号码不一致，不能以申请人本人身份领取。"
                    "他人代领请选择“委托代理人”。"
                ),
            )
    elif receiver == Handover.Receiver.LEGAL_REP:
        if not is_org:
            add("receiver", _("申请人是自然人，没有法定代表人：请选择申请人本人或委托代理人。"))
        elif not representative_checked:
            add(
                "representative_checked",
                _("请核对营业执照（或法定代表人身份证明书）上的法定代表人与领取人一致，并勾选确认。"),
            )
        collector.representative_checked = bool(representative_checked)
    else:  # agent
        on_record = normalise(submission.agent_id_number)
        if shown and not is_org and shown == normalise(applicant.id_number):
            add("receiver", _("这是申请人本人的身份证号码：请选择“申请人本人”。"))
        elif shown and on_record and shown == on_record:
            collector.agent_on_record = True
        elif not authorisation_kept:
            if on_record:
                why = _("领取人不是受理时登记的代办人")
            else:
                why = _("受理时没有登记代办人")
            add(
                "authorisation_kept",
                _("%(why)s：委托代理人须出示申请人签署的授权委托书，窗口收取留存后勾选“已收取授权委托书”。")
                % {"why": why},
            )
        collector.authorisation_kept = bool(authorisation_kept)
    if errors:
        raise ValidationError(errors)
    return collector


# --- the signature -----------------------------------------------------------------------------------

SIGNATURE_MAX_SIDE = 2000  # pixels: larger than any pad (480×160, ×2 on a dense screen); bounds the memory
SIGNATURE_MIN_INK = 60  # dark pixels: an empty pad has none, a tap or a speck a handful
SIGNATURE_MIN_SPAN = 20  # pixels the ink covers across or down: a dot is not a signature


def signature_ink(data: bytes) -> tuple[int, int]:
    """(ink pixels, widest extent of the ink in pixels) of a PNG, or ValueError when it is not one.

    Ink is a pixel that is both visible (alpha) and dark: the pad's canvas is transparent until written on,
    and a pad that paints a white background first is still blank."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise ValueError("not a PNG")
            width, height = image.size
            if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
                raise ValueError("size")
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValueError(str(exc)) from None
    alpha = rgba.getchannel("A").point(lambda a: 255 if a >= 64 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 160 else 0)
    ink = ImageChops.multiply(alpha, dark)
    count = ink.histogram()[255]
    box = ink.getbbox()
    span = max(box[2] - box[0], box[3] - box[1]) if box else 0
    return count, span


def _signature(value, reason) -> tuple[str, str]:
    """(signature data URL, reason) for the record: a real signature, or the stated reason why there is none.
    An empty pad, a blank image or a speck is no signature."""
    value = str(value or "").strip()
    try:
        reason = _text(reason, "no_signature_reason", limit=200, required=False)
    except ValidationError as exc:
        raise ValidationError({"no_signature_reason": exc.message_dict["no_signature_reason"]}) from None
    if value:
        if not value.startswith(SIGNATURE_PREFIX) or len(value) > SIGNATURE_MAX:
            raise ValidationError({"signature": [_("签名格式不正确，请重新签名。")]})
        try:
            data = base64.b64decode(value[len(SIGNATURE_PREFIX) :], validate=True)
            ink, span = signature_ink(data)
        except (ValueError, binascii.Error):
            raise ValidationError({"signature": [_("签名格式不正确，请重新签名。")]}) from None
        if ink < SIGNATURE_MIN_INK or span < SIGNATURE_MIN_SPAN:
            value = ""  # a blank pad: judged below like no signature at all
        elif reason:
            raise ValidationError(
                {"no_signature_reason": [_("已有签名时不填写无法签名的原因：请清除签名或清空原因。")]}
            )
        else:
            return value, ""
    if not reason:
        raise ValidationError(
            {
                "signature": [
                    _(
                        "签名板上没有签名：请领取人在签名板上签名；"
                        "确实无法签名时，在“无法签名的原因”中写明原因（如：无法书写）。"
                    )
                ]
            }
        )
    if len(reason) < 2:
        raise ValidationError({"no_signature_reason": [_("请写明无法签名的原因，如：无法书写。")]})
    return "", reason


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
    delivered = TimelineEvent.objects.bulk_create(
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
    exchange_outbox.publish(delivered)
    numbers = [c.number for c in cases]
    audit.record(
        actor, f"output.{kind}", handover, summary=f"{submission.number} {len(cases)}", request=request,
        cases=numbers, method=handover.method, partial=handover.partial, receiver=handover.receiver,
        receiver_id=handover.receiver_id_masked, agent_on_record=handover.agent_on_record,
        authorisation_kept=handover.authorisation_kept, representative_checked=handover.representative_checked,
        signed=handover.signed, no_signature_reason=handover.no_signature_reason,
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
    no_signature_reason: str = "",
    authorisation_kept: bool = False,
    representative_checked: bool = False,
    proof_note: str = "",
    window=None,
    cases=None,
    partial: bool = False,
    now: dt.datetime | None = None,
    request=None,
) -> Handover:
    """Hand the results over at the window to the person who collects — 申请人本人, 法定代表人 or 委托代理人,
    identified by their own resident ID (`check_collector`) — against their signature or the stated reason why
    there is none. The whole submission, unless the applicant asks for the ready part (`partial=True`,
    optionally with `cases`: case numbers)."""
    ensure_output_clerk(actor)
    now = now or timezone.now()
    submission = _locked_submission(submission)
    errors: dict[str, list[str]] = {}
    collector = None
    try:
        collector = check_collector(
            submission,
            receiver=receiver,
            id_number=id_number,
            receiver_name=receiver_name,
            authorisation_kept=authorisation_kept,
            representative_checked=representative_checked,
            proof_note=proof_note,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        signature, reason = _signature(signature, no_signature_reason)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:  # every field the clerk must fix, at once
        raise ValidationError(errors)
    chosen, is_part = _select(submission, cases, partial)
    handover = Handover(
        submission=submission,
        method=Handover.Method.IN_PERSON,
        receiver=collector.receiver,
        receiver_name=collector.name,
        receiver_document=Handover.Document.RESIDENT_ID,
        receiver_id_masked=Handover.mask(collector.id_number),
        agent_on_record=collector.agent_on_record,
        authorisation_kept=collector.authorisation_kept,
        representative_checked=collector.representative_checked,
        proof_note=collector.proof_note,
        signature=signature,
        no_signature_reason=reason,
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
