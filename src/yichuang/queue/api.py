"""The queue API: tickets (kiosk, no staff token, rate-limited), calling and ticket actions (the member of
staff seated at the window), zone queues and windows (public: numbers only, no personal data)."""

import datetime
import functools

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from yichuang.catalogue.models import Matter
from yichuang.core.links import absolute
from yichuang.core.schemas import RowId
from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.models import Window, Zone

from . import queries, ratelimit, services, sql
from .models import AppointmentSlot, Ticket

router = Router(tags=["queue"])


class ErrorOut(Schema):
    detail: str


class TicketIn(Schema):
    zone: str = Field(description="Zone code.")
    priority: bool = Field(False, description="绿色通道 (elderly, disabled, key projects).")
    phone: str | None = Field(None, description="Mainland mobile number, for notices; never shown in full.")
    matter: str | None = Field(None, description="Matter code the person came for (optional; must be in the zone).")


class TicketIssuedOut(Schema):
    id: int
    number: str
    zone: str
    ahead: int
    wait_minutes: list[int] = Field(description="[low, high] minutes.")
    url: str = Field(description="The person's mobile page (also in the ticket's QR code).")


class TicketOut(Schema):
    id: int
    number: str
    zone: str
    status: str
    priority: bool
    window: int | None = Field(description="Window number, while called or being served.")
    call_count: int
    issued_at: datetime.datetime
    called_at: datetime.datetime | None


class CallOut(Schema):
    ticket: TicketOut


class TransferIn(Schema):
    zone: str = Field(description="Code of the zone to transfer to (same site).")
    front: bool = Field(False, description="Put the ticket at the front of that zone's queue.")


class WindowOut(Schema):
    id: int
    number: int
    zone: str
    kind: str
    open: bool


class QueueTicketOut(Schema):
    id: int
    number: str
    priority: bool
    appointment: bool
    front: bool
    queued_at: datetime.datetime


class CalledOut(Schema):
    id: int
    number: str
    status: str
    window: int | None
    call_count: int


class QueueOut(Schema):
    zone: str
    waiting: list[QueueTicketOut]
    called: list[CalledOut]
    windows_open: int
    wait_minutes: list[int] = Field(description="The wait range for a ticket taken now.")


class SlotOut(Schema):
    id: int
    date: datetime.date
    start: datetime.time
    end: datetime.time
    free: int


class BookIn(Schema):
    slot: int
    name: str
    phone: str


class BookOut(Schema):
    code: str
    zone: str
    date: datetime.date
    start: datetime.time


class CheckInOut(TicketIssuedOut):
    in_time: bool = Field(description="Checked in within the appointment window (ahead of walk-ins).")


def ticket_url(ticket: Ticket, request=None) -> str:
    return absolute(reverse("queue:mobile", args=[ticket.token]), request)


def ticket_out(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "zone": ticket.zone.code,
        "status": ticket.status,
        "priority": ticket.priority,
        "window": ticket.window.number if ticket.window_id else None,
        "call_count": ticket.call_count,
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
    }


def issued_out(ticket: Ticket, request=None) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "zone": ticket.zone.code,
        "ahead": ticket.ahead_at_issue,
        "wait_minutes": [ticket.wait_low, ticket.wait_high],
        "url": ticket_url(ticket, request),
    }


def conflicts_are_409(view):
    """services.Conflict (state does not allow it) → 409; TryAgain also says when to retry."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except services.TryAgain as exc:
            response = JsonResponse({"detail": exc.messages[0], "retry": True}, status=409)
            response["Retry-After"] = "1"
            return response
        except services.Conflict as exc:
            raise HttpError(409, exc.messages[0]) from None

    return wrapper


def too_many(wait: float) -> JsonResponse:
    response = JsonResponse({"detail": "too many requests from this address; try again later"}, status=429)
    response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


def rate_limited(request) -> JsonResponse | None:
    wait = ratelimit.check(request)
    return too_many(wait) if wait else None


def _zone(code: str, field: str = "zone") -> Zone:
    found = list(
        sql.fetch_models(
            Zone, f"SELECT id, site_id, code, name, ticket_letter FROM {Zone._meta.db_table} WHERE code = %s", [code]
        )
    )
    if not found:
        raise services.QueueError({field: "unknown zone code"})
    return found[0]


@router.post(
    "/tickets",
    response={201: TicketIssuedOut, 409: ErrorOut, 429: ErrorOut},
    summary="Take a ticket (kiosk; no token; rate-limited per address)",
)
@conflicts_are_409
def take_ticket(request, payload: TicketIn):
    zone = _zone(payload.zone)
    matter = None
    if payload.matter:
        matter = Matter.objects.filter(code=payload.matter).first()
        if matter is None:
            raise services.QueueError({"matter": "unknown matter code"})
    try:
        # The rate limit's token is taken in the issuing transaction: one commit per ticket.
        ticket = services.issue_ticket(
            zone,
            priority=payload.priority,
            phone=payload.phone,
            matter=matter,
            source=Ticket.Source.API,
            request=request,
            rate_key=ratelimit.client_key(request),
        )
    except services.RateLimited as refused:
        return too_many(refused.wait)
    return Status(201, issued_out(ticket, request))


@router.post(
    "/windows/{window_id}/call",
    response={200: CallOut, 204: None, 409: ErrorOut},
    auth=staff_auth,
    summary="Call the next ticket to this window (staff seated there); 204 when nobody waits",
)
@conflicts_are_409
def call(request, window_id: RowId):
    # The service reads the window, its zone and the seating in one statement (404 if there is no such window).
    ticket = services.call_next(Window(pk=window_id), request.user, request=request)
    if ticket is None:
        return Status(204, None)
    return Status(200, {"ticket": ticket_out(ticket)})


def _ticket(ticket_id: int) -> Ticket:
    """A reference the service loads (and locks) itself: 404 if there is no such ticket."""
    return Ticket(pk=ticket_id)


def _done(ticket: Ticket) -> dict:
    return {"ticket": ticket_out(ticket)}


@router.post(
    "/tickets/{ticket_id}/recall",
    response={200: CallOut, 409: ErrorOut},
    auth=staff_auth,
    summary="Call the ticket at this window again",
)
@conflicts_are_409
def recall(request, ticket_id: RowId):
    return _done(services.recall(_ticket(ticket_id), request.user, request=request))


@router.post(
    "/tickets/{ticket_id}/serve",
    response={200: CallOut, 409: ErrorOut},
    auth=staff_auth,
    summary="The person came to the window (开始办理)",
)
@conflicts_are_409
def serve(request, ticket_id: RowId):
    return _done(services.start_serving(_ticket(ticket_id), request.user, request=request))


@router.post(
    "/tickets/{ticket_id}/no-show",
    response={200: CallOut, 409: ErrorOut},
    auth=staff_auth,
    summary="过号, after the zone's number of calls",
)
@conflicts_are_409
def no_show(request, ticket_id: RowId):
    return _done(services.mark_no_show(_ticket(ticket_id), request.user, request=request))


@router.post(
    "/tickets/{ticket_id}/reactivate",
    response={200: CallOut, 409: ErrorOut},
    auth=staff_auth,
    summary="A missed ticket queues again (at the end; ?front=true: at the front)",
)
@conflicts_are_409
def reactivate(request, ticket_id: RowId, front: bool = False):
    return _done(services.reactivate(_ticket(ticket_id), request.user, front=front, request=request))


@router.post(
    "/tickets/{ticket_id}/transfer",
    response={200: CallOut, 409: ErrorOut},
    auth=staff_auth,
    summary="Transfer to another zone, keeping the number",
)
@conflicts_are_409
def transfer(request, ticket_id: RowId, payload: TransferIn):
    ticket = _ticket(ticket_id)
    zone = _zone(payload.zone)
    return _done(services.transfer(ticket, zone, request.user, front=payload.front, request=request))


@router.post("/tickets/{ticket_id}/finish", response={200: CallOut, 409: ErrorOut}, auth=staff_auth, summary="办结")
@conflicts_are_409
def finish(request, ticket_id: RowId):
    return _done(services.finish(_ticket(ticket_id), request.user, request=request))


@router.get("/zones/{code}/queue", response=QueueOut, summary="A zone's queue (numbers only)")
def zone_queue(request, code: str):
    zone = get_object_or_404(Zone.objects.select_related("site"), code=code)
    state = queries.zone_queue(zone)
    estimate = queries.estimate(zone, ahead=len(state["waiting"]), priority=False)
    return {
        "zone": zone.code,
        "waiting": [{**t, "appointment": t["booked"]} for t in state["waiting"]],
        "called": [
            {
                "id": t["id"],
                "number": t["number"],
                "status": t["status"],
                "window": t["window__number"],
                "call_count": t["call_count"],
            }
            for t in state["called"]
        ],
        "windows_open": estimate.servers,
        "wait_minutes": [estimate.low, estimate.high],
    }


@router.get("/windows", response=list[WindowOut], summary="Windows, optionally of one site")
def windows(request, site: str | None = None):
    qs = Window.objects.select_related("zone").order_by("zone__site", "number")
    if site:
        qs = qs.filter(zone__site__code=site)
    return [{"id": w.pk, "number": w.number, "zone": w.zone.code, "kind": w.kind, "open": w.is_open} for w in qs]


@router.get("/zones/{code}/slots", response=list[SlotOut], summary="Appointment slots of a zone on a day")
def slots(request, code: str, date: datetime.date | None = None):
    zone = get_object_or_404(Zone, code=code)
    day = date or timezone.localdate()
    return [
        {"id": s.pk, "date": s.date, "start": s.start, "end": s.end, "free": s.free}
        for s in AppointmentSlot.objects.filter(zone=zone, date=day).order_by("start")
    ]


@router.post(
    "/appointments",
    response={201: BookOut, 409: ErrorOut, 429: ErrorOut},
    summary="Book an appointment (online; rate-limited per address)",
)
@conflicts_are_409
def book(request, payload: BookIn):
    if refused := rate_limited(request):
        return refused
    slot = AppointmentSlot.objects.select_related("zone").filter(pk=payload.slot).first()
    if slot is None:
        raise services.QueueError({"slot": "unknown slot"})
    appointment = services.book_appointment(slot, name=payload.name, phone=payload.phone, request=request)
    return Status(201, {"code": appointment.code, "zone": slot.zone.code, "date": slot.date, "start": slot.start})


@router.post(
    "/appointments/{code}/check-in",
    response={201: CheckInOut, 409: ErrorOut, 429: ErrorOut},
    summary="Check in with the booking code (kiosk): a ticket",
)
@conflicts_are_409
def check_in(request, code: str):
    if refused := rate_limited(request):
        return refused
    ticket, in_time = services.check_in(code, request=request)
    return Status(201, {**issued_out(ticket, request), "in_time": in_time})
