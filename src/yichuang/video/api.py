"""The video API (mounted at /api/video/ in yichuang/api.py): placing, answering and ending calls, and the
signalling between the two browsers.

A citizen has no account: the call's token in the path is the credential (`/calls/{token}/…`, no cookie, so no
CSRF). Staff use `/staff/…` with the session of the pages (CSRF header) or a bearer token. Each side polls
`…/signals?after=<last id>` about every 500 ms; any app server answers from the Signal rows.
"""

import functools
import random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from yichuang.core.schemas import ErrorOut, InvalidOut, RowId
from yichuang.intake.models import Case
from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.models import Department
from yichuang.queue import ratelimit

from . import queries, services
from .models import Booking, Call

router = Router(tags=["video"])
PRUNE_CHANCE = 0.01  # of ringing polls that also remove old signalling rows


class CallIn(Schema):
    name: str = Field("", max_length=100, description="The citizen's name, optional")
    recording_consent: bool = Field(False, description="Ticked on screen; counts only if the hall allows recording")
    booking: str | None = Field(None, max_length=64, description="The booking's token, when calling a booked slot")


class StaffCallIn(Schema):
    kind: str = Field("support", pattern="^(consult|support)$")
    department: int | None = Field(None, ge=1, le=2**63 - 1)
    case: str | None = Field(None, max_length=44, description="A case number (办件编号), optional")
    booking: int | None = Field(None, ge=1, le=2**63 - 1)


class SignalIn(Schema):
    kind: str = Field(pattern="^(offer|answer|ice)$")
    payload: dict


class LinkIn(Schema):
    consultation: int = Field(ge=1, le=2**63 - 1)


class CallOut(Schema):
    id: int
    kind: str
    status: str
    side: str
    token: str | None = None
    signals_url: str
    hangup_url: str
    poll_ms: int
    ice_servers: list
    consultation_url: str | None = None
    recorded: bool = Field(False, description="The call is recorded (the hall allows it, the citizen agreed)")
    recording_url: str | None = Field(None, description="Where the callee uploads the recording, if it may record")


class SignalOut(Schema):
    id: int
    kind: str
    payload: dict


class PollOut(Schema):
    status: str
    status_label: str
    seconds: int | None
    signals: list[SignalOut]


class RingingOut(Schema):
    id: int
    kind: str
    caller: str
    department: str | None
    case: str | None
    booked: bool
    since: str
    answer_url: str


class SentOut(Schema):
    id: int


def refusals(view):
    """services.Refused → 409 with its reason."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except services.Refused as exc:
            raise HttpError(409, exc.message) from None

    return wrapper


def _call_out(call: Call, side: str, *, token: str | None = None) -> dict:
    if token:
        base = reverse("api:video_citizen_signals", args=[token])
        hangup = reverse("api:video_citizen_hangup", args=[token])
    else:
        base = reverse("api:video_staff_signals", args=[call.pk])
        hangup = reverse("api:video_staff_hangup", args=[call.pk])
    consultation_url = None
    if call.kind == Call.Kind.CONSULT and side == "callee":
        consultation_url = queries.consultation_url(call)
    recording_url = None
    if side == "callee" and services.may_record(call):
        recording_url = reverse("api:video_staff_recording", args=[call.pk])
    return {
        "recorded": services.may_record(call),
        "recording_url": recording_url,
        "id": call.pk,
        "kind": call.kind,
        "status": call.status,
        "side": side,
        "token": token,
        "signals_url": base,
        "hangup_url": hangup,
        "poll_ms": queries.POLL_MS,
        "ice_servers": queries.ice_servers(),
        "consultation_url": consultation_url,
    }


def _poll(call: Call, side: str, after: int, *, seen: bool = True) -> dict:
    if seen:
        services.seen(call, side)
    services.miss_call(call)  # a call ringing past its time becomes missed when either side looks
    services.end_if_silent(call)  # …and one whose other side has gone silent ends
    return {
        "status": call.status,
        "status_label": call.get_status_display(),
        "seconds": call.seconds,
        "signals": [
            {"id": s.pk, "kind": s.kind, "payload": s.payload} for s in queries.signals_after(call, side, after)
        ],
    }


class AfterIn(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1)


# --- the citizen: known by the call's token ---------------------------------------------------------------------


def _citizen_call(token: str) -> Call:
    call = Call.objects.filter(token=token[:64], caller__isnull=True).first()
    if call is None:
        raise HttpError(404, "没有找到这次通话。")
    return call


@router.post(
    "/calls",
    response={201: CallOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut, 429: ErrorOut},
    url_name="video_citizen_calls",
    summary="A citizen calls the consultation desk (anonymous; rate-limited per address)",
)
@refusals
def place_citizen_call(request, payload: CallIn):
    booking = None
    if payload.booking:
        booking = Booking.objects.filter(token=payload.booking).first()
        if booking is None:
            raise HttpError(404, "没有找到这个预约。")
    with transaction.atomic():
        wait = ratelimit.hit(f"video:{ratelimit.client_key(request)}", settings.VIDEO_CALL_RATE)
        if wait:
            raise HttpError(429, "呼叫过于频繁，请稍后再试。")
        call = services.place_call(
            kind=Call.Kind.CONSULT,
            caller_name=payload.name,
            booking=booking,
            recording_consent=payload.recording_consent,
            request=request,
        )
    return Status(201, _call_out(call, "caller", token=call.token))


@router.get(
    "/calls/{token}/signals",
    response={200: PollOut, 404: ErrorOut},
    url_name="video_citizen_signals",
    summary="The citizen polls: the call's status and the consultant's signals after an id",
)
def citizen_poll(request, token: str, query: Query[AfterIn]):
    return _poll(_citizen_call(token), "caller", query.after)


@router.post(
    "/calls/{token}/signals",
    response={201: SentOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut},
    summary="The citizen sends an offer or an ICE candidate",
)
@refusals
def citizen_signal(request, token: str, payload: SignalIn):
    signal = services.send_signal(_citizen_call(token), "caller", payload.kind, payload.payload)
    return Status(201, {"id": signal.pk})


@router.post(
    "/calls/{token}/hangup",
    response={200: PollOut, 404: ErrorOut},
    url_name="video_citizen_hangup",
    summary="The citizen hangs up (also before an answer)",
)
def citizen_hangup(request, token: str):
    call = services.end_call(_citizen_call(token), "caller", request=request)
    return _poll(call, "caller", 2**62, seen=False)


# --- staff -----------------------------------------------------------------------------------------------------


def _staff_call(call_id: int) -> Call:
    return get_object_or_404(Call, pk=call_id)


@router.post(
    "/staff/calls",
    auth=staff_auth,
    response={201: CallOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut},
    url_name="video_staff_calls",
    summary="A clerk calls a department's experts (support), optionally about a case or from a booking",
)
@refusals
def place_staff_call(request, payload: StaffCallIn):
    department = case = booking = None
    if payload.department:
        department = Department.objects.filter(pk=payload.department).first()
        if department is None:
            raise ValidationError({"department": "没有这个部门。"})
    if payload.case:
        case = Case.objects.filter(number=payload.case.strip()).first()
        if case is None:
            raise ValidationError({"case": "没有找到这个办件编号。"})
    if payload.booking:
        booking = get_object_or_404(Booking, pk=payload.booking)
    call = services.place_call(
        kind=payload.kind,
        caller=request.user,
        caller_name=request.user.display_name,
        department=department,
        case=case,
        booking=booking,
        request=request,
    )
    return Status(201, _call_out(call, "caller"))


@router.get(
    "/staff/ringing",
    auth=staff_auth,
    response=list[RingingOut],
    url_name="video_staff_ringing",
    summary="Calls ringing for me: the desk's for consultants, my department's for its experts",
)
def ringing(request):
    services.sweep(prune=random.random() < PRUNE_CHANCE)
    return [
        {
            "id": call.pk,
            "kind": call.kind,
            "caller": call.caller_name or ("办事群众" if call.caller_id is None else str(call.caller)),
            "department": call.department.name if call.department else None,
            "case": call.case.number if call.case else None,
            "booked": call.booking_id is not None,
            "since": call.created_at.isoformat(),
            "answer_url": reverse("api:video_staff_answer", args=[call.pk]),
        }
        for call in queries.ringing_for(request.user)
    ]


@router.post(
    "/staff/calls/{call_id}/answer",
    auth=staff_auth,
    response={200: CallOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    url_name="video_staff_answer",
    summary="Answer a ringing call (the first answer wins; a later one is 409)",
)
@refusals
def answer(request, call_id: RowId):
    call = services.answer_call(_staff_call(call_id), request.user, request=request)
    return _call_out(call, "callee")


@router.get(
    "/staff/calls/{call_id}/signals",
    auth=staff_auth,
    response={200: PollOut, 403: ErrorOut, 404: ErrorOut},
    url_name="video_staff_signals",
    summary="Poll: the call's status and the other side's signals after an id",
)
def staff_poll(request, call_id: RowId, query: Query[AfterIn]):
    call = _staff_call(call_id)
    return _poll(call, services.side_of(call, user=request.user), query.after)


@router.post(
    "/staff/calls/{call_id}/signals",
    auth=staff_auth,
    response={201: SentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut},
    summary="Send an offer, answer or ICE candidate to the other side",
)
@refusals
def staff_signal(request, call_id: RowId, payload: SignalIn):
    call = _staff_call(call_id)
    signal = services.send_signal(call, services.side_of(call, user=request.user), payload.kind, payload.payload)
    return Status(201, {"id": signal.pk})


@router.post(
    "/staff/calls/{call_id}/hangup",
    auth=staff_auth,
    response={200: PollOut, 403: ErrorOut, 404: ErrorOut},
    url_name="video_staff_hangup",
    summary="Hang up (either side); the other side sees the call ended at its next poll",
)
def staff_hangup(request, call_id: RowId):
    call = _staff_call(call_id)
    side = services.side_of(call, user=request.user)
    call = services.end_call(call, side, actor=request.user, request=request)
    return _poll(call, side, 2**62, seen=False)


@router.post(
    "/staff/calls/{call_id}/consultation",
    auth=staff_auth,
    response={200: SentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Link the consultation recorded for this call (the consultant who answered)",
)
@refusals
def link_consultation(request, call_id: RowId, payload: LinkIn):
    from yichuang.consultation.models import Consultation

    consultation = get_object_or_404(Consultation, pk=payload.consultation)
    call = services.link_consultation(_staff_call(call_id), consultation, request.user, request=request)
    return {"id": call.pk}


@router.post(
    "/staff/calls/{call_id}/recording",
    auth=staff_auth,
    response={201: SentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: InvalidOut},
    url_name="video_staff_recording",
    summary="Upload the recording (the answering consultant; only with the permission and the consent)",
)
@refusals
def upload_recording(request, call_id: RowId, file: File[UploadedFile]):
    recording = services.store_recording(_staff_call(call_id), request.user, file, request=request)
    return Status(201, {"id": recording.pk})
