"""Every change of a video call or booking: one function per transition, each atomic and audited.

Who may act:
- a citizen places a consultation call (anonymous, optional name) and is known afterwards only by the call's
  token; a window clerk places a support call to a department;
- a consultation call is answered by a consultant (Role.CONSULTANT) — "on duty" means signed in with the desk page
  /video/desk/ open, which polls for ringing calls; a support call by an officer or lead of the called department
  (its expert) on /video/expert/. The first answer wins: the answer is one conditional UPDATE on the ringing row,
  so a concurrent second answer changes nothing and is refused;
- signals (SDP offer/answer, ICE candidates) pass only between the call's two parties and only while the call is
  ringing or active; a hang-up by either side ends the call for both (status + a "hangup" signal).
Signals themselves are the transport, not a change of the call: they are not audited (an ICE candidate each would
flood the log); every transition of the call is.
"""

import datetime as dt
import json
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from yichuang.core.audit import record
from yichuang.organisation.roles import Role, acts_as, member_of

from .models import Booking, Call, Recording, Signal, VideoRules

SIGNAL_KINDS = {"offer", "answer", "ice"}
MAX_SIGNAL_BYTES = 16_000
RECORDING_TYPES = ("video/webm",)  # an SDP with a few codecs is ~5 kB; anything larger is not a signal
EXPERT_ROLES = (Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)
BOOKING_DAYS_AHEAD = 30
# Each side's poll is noted at most this often (bookkeeping, one conditional UPDATE); a side silent for
# SILENT_AFTER has gone, and its call ends as "lost" at the side's last sign of life.
SEEN_RESOLUTION = dt.timedelta(seconds=10)
SILENT_AFTER = dt.timedelta(seconds=60)
# Signalling rows (SDPs name the parties' addresses) are kept this long after a call ends, for troubleshooting.
KEEP_SIGNALS = dt.timedelta(days=1)
# A booked call may be placed from shortly before its slot until the slot ends.
BOOKING_EARLY = dt.timedelta(minutes=10)


class Refused(Exception):
    """The call or booking is not in a state that allows this (409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def rules() -> VideoRules:
    return VideoRules.objects.order_by("pk").first() or VideoRules()


def _token() -> str:
    return secrets.token_urlsafe(32)


# --- who is who ------------------------------------------------------------------------------------------------


def may_answer(user, call: Call) -> bool:
    if call.kind == Call.Kind.CONSULT:
        return acts_as(user, Role.CONSULTANT)
    return member_of(user, call.department_id, *EXPERT_ROLES)


def side_of(call: Call, *, user=None, token: str | None = None) -> str:
    """'caller' or 'callee' for a party of the call; PermissionDenied for anyone else. A citizen is the caller by
    the call's token; staff by being its caller or callee."""
    if token is not None:
        if call.caller_id is None and constant_time_compare(token, call.token):
            return "caller"
        raise PermissionDenied(_("不是本次通话的参与方。"))
    if user is not None and getattr(user, "pk", None):
        if call.caller_id == user.pk:
            return "caller"
        if call.callee_id == user.pk:
            return "callee"
    raise PermissionDenied(_("不是本次通话的参与方。"))


# --- calls -----------------------------------------------------------------------------------------------------


@transaction.atomic
def place_call(
    *,
    kind: str,
    caller=None,
    caller_name: str = "",
    department=None,
    case=None,
    booking: Booking | None = None,
    recording_consent: bool = False,
    request=None,
    now: dt.datetime | None = None,
) -> Call:
    """A citizen (caller None) or a staff member calls the consultation desk, or a clerk calls a department."""
    now = now or timezone.now()
    if kind == Call.Kind.CONSULT:
        department = None
    elif kind == Call.Kind.SUPPORT:
        if not acts_as(caller, Role.WINDOW_CLERK):
            raise PermissionDenied(_("只有综合受理人员可以呼叫部门业务支撑。"))
        if department is None:
            raise ValidationError({"department": _("请选择要呼叫的部门。")})
    else:
        raise ValidationError({"kind": _("呼叫类别不正确。")})
    if booking is not None:
        _check_booking_for_call(booking, kind, department, caller, now)
    # Consent counts only where the hall allows recording at all; otherwise it is not even asked.
    consent = bool(recording_consent and caller is None and rules().recording_allowed)
    call = Call.objects.create(
        kind=kind,
        caller=caller if getattr(caller, "pk", None) else None,
        caller_name=(caller_name or "").strip()[:100],
        department=department,
        case=case,
        booking=booking,
        token=_token(),
        recording_consent=consent,
        created_at=now,
    )
    record(
        caller,
        "video.call_placed",
        call,
        f"{call.get_kind_display()} #{call.pk}",
        request=request,
        kind=kind,
        department=department.pk if department else None,
        case=case.pk if case else None,
        booking=booking.pk if booking else None,
        recording_consent=consent,
    )
    return call


def _check_booking_for_call(booking: Booking, kind, department, caller, now) -> None:
    if booking.cancelled_at is not None:
        raise Refused(_("该预约已取消。"))
    if booking.kind != kind or booking.department_id != (department.pk if department else None):
        raise Refused(_("该预约不是这次呼叫的对象。"))
    if booking.booked_by_id and (caller is None or booking.booked_by_id != caller.pk):
        raise PermissionDenied(_("只有预约人可以从预约发起呼叫。"))
    if not (booking.starts_at - BOOKING_EARLY <= now < booking.ends_at):
        raise Refused(
            _("预约时段为 %(start)s–%(end)s，请在时段内呼叫。")
            % {
                "start": timezone.localtime(booking.starts_at).strftime("%m-%d %H:%M"),
                "end": timezone.localtime(booking.ends_at).strftime("%H:%M"),
            }
        )


def ring_deadline(call: Call, ring_seconds: int | None = None) -> dt.datetime:
    seconds = ring_seconds if ring_seconds is not None else rules().ring_seconds
    return call.created_at + dt.timedelta(seconds=seconds)


def miss_call(call: Call, *, now: dt.datetime | None = None) -> bool:
    """A call nobody answered within ring_seconds becomes missed (checked whenever a side polls). The check comes
    before any transaction: polls arrive twice a second per side, and on SQLite a transaction takes the write
    lock."""
    now = now or timezone.now()
    if call.status != Call.Status.RINGING or now < ring_deadline(call):
        return False
    return _mark_missed(call, now)


@transaction.atomic
def _mark_missed(call: Call, now: dt.datetime) -> bool:
    changed = Call.objects.filter(pk=call.pk, status=Call.Status.RINGING).update(
        status=Call.Status.MISSED, ended_at=now
    )
    if not changed:
        call.refresh_from_db()
        return False
    call.status, call.ended_at = Call.Status.MISSED, now
    record(None, "video.call_missed", call, f"{call.get_kind_display()} #{call.pk}", kind=call.kind)
    return True


def expire_ringing(*, now: dt.datetime | None = None) -> int:
    """Mark every call ringing longer than ring_seconds as missed (the desk pages call it when they poll)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=rules().ring_seconds)
    overdue = Call.objects.filter(status=Call.Status.RINGING, created_at__lte=cutoff)
    return sum(miss_call(call, now=now) for call in overdue)


def answer_call(call: Call, user, *, request=None, now: dt.datetime | None = None) -> Call:
    """The first consultant (or the department's first expert) to answer gets the call; the others are refused.
    A call past its ring time is marked missed first, in its own transaction: the refusal must not undo it."""
    now = now or timezone.now()
    if not may_answer(user, call):
        if call.kind == Call.Kind.SUPPORT:
            raise PermissionDenied(_("只能接听本部门的业务支撑呼叫。"))
        raise PermissionDenied(_("只有咨询人员可以接听视频咨询。"))
    if call.caller_id and call.caller_id == user.pk:
        raise PermissionDenied(_("不能接听自己发起的呼叫。"))
    if miss_call(call, now=now):
        raise Refused(_("呼叫已超时，未接通。"))
    return _take_call(call, user, request=request, now=now)


@transaction.atomic
def _take_call(call: Call, user, *, request, now: dt.datetime) -> Call:
    changed = Call.objects.filter(pk=call.pk, status=Call.Status.RINGING).update(
        status=Call.Status.ACTIVE, callee=user, answered_at=now
    )
    if not changed:
        call.refresh_from_db()
        if call.status == Call.Status.ACTIVE:
            raise Refused(_("该呼叫已由其他人员接听。"))
        raise Refused(_("该呼叫已结束。"))
    call.status, call.callee, call.answered_at = Call.Status.ACTIVE, user, now
    record(user, "video.call_answered", call, f"{call.get_kind_display()} #{call.pk}", request=request)
    return call


@transaction.atomic
def end_call(call: Call, side: str, *, actor=None, request=None, now: dt.datetime | None = None) -> Call:
    """Either side hangs up (a caller also before an answer): the call ends for both. Ending an ended call is
    a no-op, so that two hang-ups crossing each other both succeed."""
    now = now or timezone.now()
    if side not in ("caller", "callee", "lost"):
        raise ValueError(side)
    changed = Call.objects.filter(pk=call.pk, status__in=[Call.Status.RINGING, Call.Status.ACTIVE]).update(
        status=Call.Status.ENDED, ended_at=now, ended_by=side
    )
    if not changed:
        call.refresh_from_db()
        return call
    Signal.objects.create(call=call, sender=side, kind="hangup", payload={}, at=now)
    call.refresh_from_db()
    record(
        actor,
        "video.call_ended",
        call,
        f"{call.get_kind_display()} #{call.pk}",
        request=request,
        ended_by=side,
        seconds=call.seconds,
    )
    return call


def seen(call: Call, side: str, *, now: dt.datetime | None = None) -> None:
    """This side polled: noted at most every SEEN_RESOLUTION (not audited — bookkeeping, not a transition)."""
    now = now or timezone.now()
    field = f"{side}_seen_at"
    last = getattr(call, field)
    if last is not None and now - last < SEEN_RESOLUTION:
        return
    stale = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now - SEEN_RESOLUTION})
    Call.objects.filter(stale, pk=call.pk).update(**{field: now})
    setattr(call, field, now)


def end_if_silent(call: Call, *, now: dt.datetime | None = None) -> bool:
    """An active call one of whose sides has not polled for SILENT_AFTER (a closed laptop, a lost network; the
    page's own hang-up never came) ends as "lost", at that side's last sign of life: its duration stays true."""
    now = now or timezone.now()
    if call.status != Call.Status.ACTIVE or call.answered_at is None:
        return False
    last_signs = [call.caller_seen_at or call.answered_at, call.callee_seen_at or call.answered_at]
    gone_at = max(min(last_signs), call.answered_at)
    if now - gone_at < SILENT_AFTER:
        return False
    ended = end_call(call, "lost", now=gone_at)
    return ended.ended_by == "lost"


def sweep(*, now: dt.datetime | None = None, prune: bool = True) -> dict:
    """Missed calls, and lost calls whose two sides both stopped polling, and (with `prune`) the signalling rows
    of calls ended more than KEEP_SIGNALS ago. Run by every desk's ringing poll (api.ringing: each on-duty page
    polls every second, so no worker is needed); pruning there only now and then."""
    now = now or timezone.now()
    missed = expire_ringing(now=now)
    lost = sum(
        end_if_silent(call, now=now)
        for call in Call.objects.filter(status=Call.Status.ACTIVE, answered_at__lte=now - SILENT_AFTER)
    )
    pruned = 0
    if prune:
        pruned, _detail = Signal.objects.filter(call__ended_at__lt=now - KEEP_SIGNALS).delete()
    return {"missed": missed, "lost": lost, "signals_removed": pruned}


@transaction.atomic
def send_signal(call: Call, side: str, kind: str, payload, *, now: dt.datetime | None = None) -> Signal:
    """Relay one signalling message to the other side. Only while the call rings or runs; a callee exists only
    after the answer."""
    now = now or timezone.now()
    if kind not in SIGNAL_KINDS:
        raise ValidationError({"kind": _("信令类别须为 offer、answer 或 ice。")})
    if not isinstance(payload, dict) or len(json.dumps(payload)) > MAX_SIGNAL_BYTES:
        raise ValidationError({"payload": _("信令内容须为不超过 16 kB 的对象。")})
    # Lock the call row: a hang-up committing meanwhile is seen, and nothing is relayed after it.
    current = Call.objects.select_for_update().get(pk=call.pk)
    if current.status in (Call.Status.ENDED, Call.Status.MISSED):
        raise Refused(_("通话已结束，不能再发送信令。"))
    if side == "callee" and current.status != Call.Status.ACTIVE:
        raise Refused(_("尚未接听。"))
    return Signal.objects.create(call=current, sender=side, kind=kind, payload=payload, at=now)


@transaction.atomic
def link_consultation(call: Call, consultation, user, *, request=None) -> Call:
    """The consultant who answered a citizen's call records it as a consultation (channel video)."""
    if call.kind != Call.Kind.CONSULT or call.callee_id != getattr(user, "pk", None):
        raise PermissionDenied(_("只有接听本次视频咨询的人员可以关联咨询记录。"))
    if call.consultation_id and call.consultation_id != consultation.pk:
        raise Refused(_("本次通话已关联其他咨询记录。"))
    Call.objects.filter(pk=call.pk).update(consultation=consultation)
    call.consultation = consultation
    record(user, "video.consultation_linked", call, f"#{call.pk}", request=request, consultation=consultation.pk)
    return call


def may_record(call: Call) -> bool:
    """Recorded only where the hall allows recording AND the citizen ticked consent when calling."""
    return call.kind == Call.Kind.CONSULT and call.recording_consent and rules().recording_allowed


@transaction.atomic
def store_recording(call: Call, user, upload, *, request=None, now: dt.datetime | None = None) -> Recording:
    """The answering consultant's browser uploads the call's recording, once."""
    now = now or timezone.now()
    if call.callee_id is None or call.callee_id != getattr(user, "pk", None):
        raise PermissionDenied(_("只有接听本次通话的人员可以上传录像。"))
    if not may_record(call):
        raise PermissionDenied(_("本次通话未经办事人同意录制，或大厅未开启录制。"))
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip()
    if content_type not in RECORDING_TYPES:
        raise ValidationError({"file": _("录像须为 WebM 视频。")})
    if not upload.size:
        raise ValidationError({"file": _("录像为空。")})
    head = upload.read(4)
    upload.seek(0)
    if head != b"\x1a\x45\xdf\xa3":  # the EBML magic number every WebM file starts with
        raise ValidationError({"file": _("录像须为 WebM 视频。")})
    if Recording.objects.filter(call=call).exists():
        raise Refused(_("本次通话的录像已上传。"))
    recording = Recording(call=call, size=upload.size, recorded_by=user, created_at=now)
    recording.file.save("call.webm", upload, save=False)
    try:
        with transaction.atomic():
            recording.save()
    except IntegrityError:
        recording.file.delete(save=False)
        raise Refused(_("本次通话的录像已上传。")) from None
    record(user, "video.recording_stored", call, f"#{call.pk}", request=request, size=upload.size)
    return recording


# --- bookings --------------------------------------------------------------------------------------------------


@transaction.atomic
def book(
    *,
    kind: str,
    starts_at: dt.datetime,
    department=None,
    name: str = "",
    phone: str = "",
    topic: str = "",
    by=None,
    request=None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book one slot (VideoRules.slot_minutes) with the consultation desk or a department's experts. One booking
    per slot and party (two partial unique constraints keep it so under concurrency)."""
    now = now or timezone.now()
    slot = dt.timedelta(minutes=rules().slot_minutes)
    errors = {}
    if kind == Booking.Kind.CONSULT:
        department = None
        if by is None and not name.strip():
            errors["name"] = _("请填写预约人姓名。")
        if by is None and not phone.strip():
            errors["phone"] = _("请填写联系电话。")
    elif kind == Booking.Kind.SUPPORT:
        if not acts_as(by, Role.WINDOW_CLERK):
            raise PermissionDenied(_("只有综合受理人员可以预约部门业务支撑。"))
        if department is None:
            errors["department"] = _("请选择部门。")
    else:
        errors["kind"] = _("预约类别不正确。")
    local = timezone.localtime(starts_at)
    minutes = local.hour * 60 + local.minute
    if local.second or local.microsecond or minutes % rules().slot_minutes:
        errors["starts_at"] = _("请选择整时段的开始时间（每段 %(n)s 分钟）。") % {"n": rules().slot_minutes}
    elif starts_at <= now:
        errors["starts_at"] = _("预约时间须在当前时间之后。")
    elif starts_at > now + dt.timedelta(days=BOOKING_DAYS_AHEAD):
        errors["starts_at"] = _("最多可预约 %(n)s 天内的时段。") % {"n": BOOKING_DAYS_AHEAD}
    if errors:
        raise ValidationError(errors)
    taken = Booking.objects.filter(
        kind=kind, department=department, starts_at=starts_at, cancelled_at__isnull=True
    ).exists()
    if taken:
        raise ValidationError({"starts_at": _("该时段已被预约，请选择其他时段。")})
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                kind=kind,
                department=department,
                starts_at=starts_at,
                ends_at=starts_at + slot,
                name=name.strip()[:100],
                phone=phone.strip()[:32],
                topic=topic.strip()[:200],
                booked_by=by if getattr(by, "pk", None) else None,
                token=_token(),
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError({"starts_at": _("该时段已被预约，请选择其他时段。")}) from None
    record(
        by,
        "video.booked",
        booking,
        str(booking),
        request=request,
        kind=kind,
        department=department.pk if department else None,
    )
    return booking


@transaction.atomic
def cancel_booking(booking: Booking, *, by=None, request=None, now: dt.datetime | None = None) -> Booking:
    now = now or timezone.now()
    changed = Booking.objects.filter(pk=booking.pk, cancelled_at__isnull=True).update(cancelled_at=now)
    if not changed:
        raise Refused(_("该预约已取消。"))
    booking.cancelled_at = now
    record(by, "video.booking_cancelled", booking, str(booking), request=request)
    return booking
