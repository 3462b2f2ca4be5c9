"""State changes of the queue: one function per transition, each atomic, each writing a TicketEvent and an
audit event.

Errors: `QueueError` (a ValidationError: bad input, 422), `Conflict` (the ticket or window is not in a
state that allows this, 409), `TryAgain` (a Conflict: every waiting ticket was being claimed by other
windows at that instant — the queue is not empty), `PermissionDenied` (the member of staff is not
seated where the action needs them, 403). Nothing is changed when one is raised.
"""

import datetime
import secrets
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit, phones
from yichuang.core.links import absolute
from yichuang.notifications.models import Message
from yichuang.notifications.services import notify
from yichuang.organisation.models import Seat, Site, Window, Zone
from yichuang.performance import services as performance

from . import queries, ratelimit, sql
from .models import Appointment, AppointmentSlot, Ticket, TicketCounter, TicketEvent, new_token

CLAIM_ATTEMPTS = 4
OPEN_STATES = (Ticket.Status.CALLED, Ticket.Status.SERVING)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class QueueError(ValidationError):
    """Bad input: 422."""


class Conflict(ValidationError):
    """Not allowed in the current state of the ticket, window or slot: 409."""


class TryAgain(Conflict):
    """Tickets are waiting but other windows held every one of them at that instant: call again."""


# --- helpers ---------------------------------------------------------------------------------------


def clean_phone(phone: str | None) -> str:
    """A mobile number for the ticket or booking (core.phones), '' for none; QueueError at `phone` otherwise."""
    try:
        return phones.clean_mobile(phone, blank=True)
    except ValidationError:
        raise QueueError({"phone": _("请输入 11 位手机号码。")}) from None


def ticket_number(letter: str, seq: int) -> str:
    return f"{letter}{seq:03d}"


def next_seq(zone: Zone, date: datetime.date) -> int:
    """The next number of `zone` on `date`, in one statement (SQLite ≥ 3.35 and PostgreSQL).

    Called inside the issuing transaction: if issuing fails, the number is rolled back with it, so the
    numbers of a day have no gaps; on PostgreSQL the counter row stays locked until commit, so two
    issuers never get the same number.
    """
    table = sql.table(TicketCounter)
    with sql.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (zone_id, date, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (zone_id, date) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            sql.params(zone.pk, date),
        )
        return cursor.fetchone()[0]


def _event(ticket: Ticket, kind: str, at, *, window=None, staff=None, **detail) -> int:
    """Record what happened to the ticket (one plain INSERT: this runs on every call)."""
    return sql.insert(
        TicketEvent,
        {
            "ticket_id": ticket.pk,
            "kind": kind,
            "at": at,
            "zone_id": ticket.zone_id,
            "window_id": getattr(window, "pk", window),
            "staff_id": getattr(staff, "pk", None),
            "detail": detail,
        },
    )


def _seat_window(actor) -> Window:
    """The window the member of staff sits at now, or PermissionDenied."""
    seat = (
        Seat.objects.select_related("window__zone")
        .filter(user_id=getattr(actor, "pk", None), date=timezone.localdate(), until__isnull=True)
        .first()
    )
    if seat is None:
        raise PermissionDenied(_("您今天尚未在窗口入座。"))
    return seat.window


def _lock_ticket(ticket: Ticket, actor=None) -> Ticket:
    """The ticket, locked for this transaction, with its zone and window (Http404 if there is none), and
    `ticket.actor_seated`: whether `actor` sits at the ticket's window now. One statement."""
    t, z, w, s = sql.table(Ticket), sql.table(Zone), sql.table(Window), sql.table(Seat)
    lock = f" FOR UPDATE OF {t}" if connection.vendor == "postgresql" else ""
    rows = list(
        sql.fetch_models(
            Ticket,
            f"SELECT {t}.*, {z}.code AS zone_code, {z}.name AS zone_name, {z}.site_id AS zone_site_id, "
            f"{w}.number AS window_number, EXISTS (SELECT 1 FROM {s} WHERE {s}.user_id = %s "
            f"AND {s}.window_id = {t}.window_id AND {s}.date = %s AND {s}.until IS NULL) AS actor_seated "
            f"FROM {t} JOIN {z} ON {z}.id = {t}.zone_id LEFT JOIN {w} ON {w}.id = {t}.window_id "
            f"WHERE {t}.id = %s{lock}",
            [getattr(actor, "pk", None), timezone.localdate(), ticket.pk],
        )
    )
    if not rows:
        raise Http404("no such ticket")
    locked = rows[0]
    locked.zone = Zone(id=locked.zone_id, code=locked.zone_code, name=locked.zone_name, site_id=locked.zone_site_id)
    locked.window = (
        Window(id=locked.window_id, number=locked.window_number, zone_id=locked.zone_id) if locked.window_id else None
    )
    locked.actor_seated = bool(locked.actor_seated)
    return locked


def _ensure_at_ticket_window(ticket: Ticket) -> Window:
    """The ticket's window, if the actor of _lock_ticket sits there now; else PermissionDenied."""
    if ticket.window_id is None or not ticket.actor_seated:
        raise PermissionDenied(_("号码 %(number)s 不在您的窗口。") % {"number": ticket.number})
    return ticket.window


def _ensure_status(ticket: Ticket, *allowed: str) -> None:
    if ticket.status not in allowed:
        raise Conflict(
            _("号码 %(number)s 当前状态为“%(status)s”，不能这样操作。")
            % {"number": ticket.number, "status": ticket.get_status_display()}
        )


def _save(ticket: Ticket, **changes) -> Ticket:
    """Set fields on the (locked) ticket and write just those, in one plain UPDATE."""
    columns = {}
    for name, value in changes.items():
        setattr(ticket, name, value)
        attname = Ticket._meta.get_field(name).attname
        columns[attname] = getattr(ticket, attname)
    sql.update(Ticket, ticket.pk, columns)
    return ticket


# --- issuing ---------------------------------------------------------------------------------------


class RateLimited(Exception):
    """Too many tickets from one client address (ratelimit.py): try again after `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.1f} s")
        self.wait = wait


@transaction.atomic
def issue_ticket(
    zone: Zone,
    *,
    priority: bool = False,
    phone: str | None = None,
    matter=None,
    source: str = Ticket.Source.KIOSK,
    actor=None,
    appointment: Appointment | None = None,
    booked: bool = False,
    now=None,
    request=None,
    rate_key: str | None = None,
) -> Ticket:
    """A new ticket for `zone`: numbered per zone and day, with the number ahead and the wait range.

    `rate_key` (a kiosk's client address) takes a token of the public rate limit in the same transaction:
    RateLimited when there is none, and a ticket refused for bad input gives its token back.
    """
    now = now or timezone.now()
    if rate_key is not None and (wait := ratelimit.hit(rate_key)):
        raise RateLimited(wait)
    phone = clean_phone(phone)
    today = timezone.localdate(now)
    if matter is not None and not matter.zones.filter(pk=zone.pk).exists():
        raise QueueError({"matter": _("该事项不在此服务区办理。")})
    snapshot = queries.zone_snapshot(zone, now)
    position = snapshot.position_for_new(priority=priority, booked=booked)
    estimate = queries.estimate(zone, ahead=position, priority=priority, now=now, snapshot=snapshot)
    values = {
        "zone_id": zone.pk,
        "issued_zone_id": zone.pk,
        "date": today,
        "status": Ticket.Status.WAITING,
        "source": source,
        "priority": priority,
        "front": False,
        "booked": booked,
        "appointment_id": getattr(appointment, "pk", None),
        "matter_id": getattr(matter, "pk", None),
        "phone": phone,
        "token": new_token(),
        "issued_at": now,
        "queued_at": now,
        "call_count": 0,
        "ahead_at_issue": position,
        "wait_low": estimate.low,
        "wait_high": estimate.high,
    }
    detail = {
        "source": source,
        "priority": priority,
        "booked": booked,
        "ahead": position,
        "wait": [estimate.low, estimate.high],
    }
    if connection.vendor == "postgresql":
        pk, values["seq"], values["number"] = _insert_numbered(values, zone.ticket_letter, detail, actor)
        ticket = Ticket(id=pk, **values)
    else:
        values["seq"] = next_seq(zone, today)
        values["number"] = ticket_number(zone.ticket_letter, values["seq"])
        ticket = Ticket(id=sql.insert(Ticket, values), **values)
        _event(ticket, TicketEvent.Kind.ISSUED, now, staff=actor, **detail)
    ticket.zone = zone
    audit.record(
        actor,
        "queue.issue",
        ticket,
        summary=f"{ticket.number} {zone.code}",
        request=request,
        priority=priority,
        source=source,
    )
    return ticket


def _insert_numbered(values: dict, letter: str, detail: dict, actor) -> tuple[int, int, str]:
    """PostgreSQL: number the ticket (next_seq's upsert), insert it and its 'issued' event in ONE statement.

    (id, seq, number). The number is formatted as ticket_number() does."""
    counter, t, e = sql.table(TicketCounter), sql.table(Ticket), sql.table(TicketEvent)
    names, prepared = sql.prepared(Ticket, values)
    _names, event = sql.prepared(
        TicketEvent,
        {
            "kind": TicketEvent.Kind.ISSUED,
            "at": values["issued_at"],
            "zone_id": values["zone_id"],
            "staff_id": getattr(actor, "pk", None),
            "detail": detail,
        },
    )
    number = "%s || CASE WHEN c.last < 1000 THEN lpad(c.last::text, 3, '0') ELSE c.last::text END"
    with sql.cursor() as cursor:
        cursor.execute(
            f"WITH c AS (INSERT INTO {counter} (zone_id, date, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (zone_id, date) DO UPDATE SET last = {counter}.last + 1 RETURNING last), "
            f"tk AS (INSERT INTO {t} ({', '.join(names)}, seq, number) "
            f"SELECT {', '.join(['%s'] * len(names))}, c.last, {number} FROM c RETURNING id, seq, number), "
            f"ev AS (INSERT INTO {e} (ticket_id, kind, at, zone_id, window_id, staff_id, detail) "
            f"SELECT tk.id, %s, %s, %s, NULL, %s, %s FROM tk) "
            f"SELECT id, seq, number FROM tk",
            [*sql.params(values["zone_id"], values["date"]), *prepared, letter, *event],
        )
        return cursor.fetchone()


# --- calling ---------------------------------------------------------------------------------------


def _lane_columns(zone_sql: str = "%s") -> str:
    """The five facts the anti-starvation rule needs, as SQL columns (see _ordinary_first)."""
    t = sql.table(Ticket)
    waiting = f"FROM {t} WHERE zone_id = {zone_sql} AND date = %s AND status = %s AND priority = %s"
    recent = (
        f"FROM {t} WHERE zone_id = {zone_sql} AND date = %s AND called_at IS NOT NULL ORDER BY called_at DESC, id DESC"
    )
    return (
        f"EXISTS (SELECT 1 {waiting}) AS ordinary_waiting, EXISTS (SELECT 1 {waiting} AND queued_at <= %s) AS starved, "
        f"(SELECT count(*) FROM (SELECT priority {recent} LIMIT %s) r WHERE r.priority = %s) AS priority_run, "
        f"(SELECT count(*) FROM (SELECT id {recent} LIMIT %s) r) AS recent_calls, "
        f"(SELECT priority {recent} LIMIT 1) AS last_priority"
    )


def _lane_params(zone_id, date: datetime.date, rules, now) -> list:
    run = rules.priority_run_length
    bound = now - datetime.timedelta(minutes=rules.priority_wait_bound_minutes)
    key, wait = (zone_id, date), Ticket.Status.WAITING
    return sql.params(*key, wait, False, *key, wait, False, bound, *key, run, True, *key, run, *key)


def _ordinary_first(rules, ordinary_waiting, starved, priority_run, recent_calls, last_priority) -> bool:
    if not ordinary_waiting:
        return False
    run = rules.priority_run_length
    if recent_calls == run and priority_run == run:
        return True
    return bool(starved) and (last_priority is None or bool(last_priority))


def ordinary_due(zone: Zone, date: datetime.date, rules, now) -> bool:
    """Anti-starvation, both ways. An ordinary ticket goes before the 绿色通道 when the last
    `priority_run_length` calls of the zone were all priority tickets, or when one has waited past
    `priority_wait_bound_minutes` — but then one at a time: after such a call a waiting priority ticket goes
    again, so that in an overloaded zone, where every ordinary ticket waits past the bound, the lanes
    alternate instead of the 绿色通道 waiting for the whole ordinary queue. One statement."""
    with sql.cursor() as cursor:
        cursor.execute(f"SELECT {_lane_columns()}", _lane_params(zone.pk, date, rules, now))
        return _ordinary_first(rules, *cursor.fetchone())


CLAIMED_COLUMNS = "id, number, status, priority, booked, front, zone_id, issued_zone_id, date, window_id, call_count, "
CLAIMED_COLUMNS += "issued_at, queued_at, called_at, first_called_at"


def claim_sql(vendor: str, *, ordinary_first: bool = False) -> str:
    """Claim the head of the zone's queue in ONE statement, in one of the two lane orders.

    Each order has its partial index (models.Ticket.Meta), so the head is one index entry away however long
    the queue. On PostgreSQL rows other windows are claiming right now are skipped, not waited for; on
    SQLite the IMMEDIATE transaction has already serialized the writers.
    """
    table = Ticket._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    lane = "priority" if ordinary_first else "priority DESC"
    return (
        f"UPDATE {table} SET status = %s, window_id = %s, called_by_id = %s, called_at = %s, "
        f"first_called_at = COALESCE(first_called_at, %s), call_count = 1, front = %s "
        f"WHERE id = (SELECT id FROM {table} WHERE zone_id = %s AND date = %s AND status = %s "
        f"ORDER BY front DESC, {lane}, booked DESC, queued_at, id LIMIT 1{lock}) RETURNING {CLAIMED_COLUMNS}"
    )


def claim_params(zone: Zone, date: datetime.date, window: Window, actor, now) -> list:
    return sql.params(
        Ticket.Status.CALLED,
        window.pk,
        getattr(actor, "pk", None),
        now,
        now,
        False,
        zone.pk,
        date,
        Ticket.Status.WAITING,
    )


def claim(zone: Zone, date: datetime.date, window: Window, actor, now, *, ordinary_first: bool) -> Ticket | None:
    """The claimed ticket (its columns as claimed), or None when every waiting ticket was taken or held.

    On PostgreSQL the 'called' event is written by the same statement (a data-modifying WITH)."""
    statement = claim_sql(connection.vendor, ordinary_first=ordinary_first)
    params = claim_params(zone, date, window, actor, now)
    if connection.vendor == "postgresql":
        _names, event = sql.prepared(
            TicketEvent,
            {
                "kind": TicketEvent.Kind.CALLED,
                "at": now,
                "window_id": window.pk,
                "staff_id": getattr(actor, "pk", None),
            },
        )
        statement = (
            f"WITH claimed AS ({statement}), logged AS (INSERT INTO {sql.table(TicketEvent)} "
            f"(ticket_id, kind, at, zone_id, window_id, staff_id, detail) SELECT id, %s, %s, zone_id, %s, %s, "
            f"jsonb_build_object('priority', priority, 'ordinary_first', %s) FROM claimed) "
            f"SELECT {CLAIMED_COLUMNS} FROM claimed"
        )
        params = [*params, *event, ordinary_first]
    rows = list(sql.fetch_models(Ticket, statement, params))
    if rows and connection.vendor != "postgresql":
        _event(
            rows[0],
            TicketEvent.Kind.CALLED,
            now,
            window=window,
            staff=actor,
            priority=rows[0].priority,
            ordinary_first=ordinary_first,
        )
    return rows[0] if rows else None


def _call_context(actor, window: Window, date: datetime.date, lane: tuple | None = None) -> Window:
    """The window with its zone, whether the actor sits there now and the number it holds open, in one
    statement (Http404 if there is no such window). With `lane` = (zone id, rules, now), the same statement
    also reads the zone's anti-starvation facts: `window.lane` (for _ordinary_first)."""
    w, z, s, t = sql.table(Window), sql.table(Zone), sql.table(Seat), sql.table(Ticket)
    lane_columns, lane_params = "", []
    if lane is not None:
        lane_columns = ", " + _lane_columns()
        lane_params = _lane_params(lane[0], date, lane[1], lane[2])
    rows = list(
        sql.fetch_models(
            Window,
            f"SELECT {w}.*, {z}.code AS zone_code, {z}.name AS zone_name, {z}.site_id AS zone_site_id, "
            f"{z}.ticket_letter AS zone_letter, "
            f"EXISTS (SELECT 1 FROM {s} WHERE {s}.user_id = %s AND {s}.window_id = {w}.id AND {s}.date = %s "
            f"AND {s}.until IS NULL) AS actor_seated, "
            f"(SELECT {t}.number FROM {t} WHERE {t}.window_id = {w}.id AND {t}.status IN (%s, %s) LIMIT 1) AS holding"
            f"{lane_columns} FROM {w} JOIN {z} ON {z}.id = {w}.zone_id WHERE {w}.id = %s",
            [*sql.params(getattr(actor, "pk", None), date, *OPEN_STATES), *lane_params, window.pk],
        )
    )
    if not rows:
        raise Http404("no such window")
    found = rows[0]
    found.zone = Zone(
        id=found.zone_id,
        code=found.zone_code,
        name=found.zone_name,
        site_id=found.zone_site_id,
        ticket_letter=found.zone_letter,
    )
    if lane is not None:
        found.lane = (
            found.ordinary_waiting,
            found.starved,
            found.priority_run,
            found.recent_calls,
            found.last_priority,
        )
    return found


@transaction.atomic
def call_next(window: Window, actor, *, now=None, request=None) -> Ticket | None:
    """The next ticket of the window's zone, for this window; None when nobody is waiting."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Where the window was a moment ago: then one statement reads the window, the seating and the lane facts.
    known = queries.window_zone(window.pk)
    rules = queries.rules_for(known) if known else None
    window = _call_context(actor, window, timezone.localdate(), lane=(known.pk, rules, now) if known else None)
    if not window.actor_seated:
        raise PermissionDenied(_("您今天不在 %(number)s 号窗口入座。") % {"number": window.number})
    if not window.is_open:
        raise Conflict(_("%(number)s 号窗口已关闭。") % {"number": window.number})
    if window.holding:
        raise Conflict(_("请先办结、过号或转移当前号码 %(number)s。") % {"number": window.holding})
    zone = window.zone
    queries.remember_window_zone(window.pk, zone)
    if known is not None and known.pk == zone.pk:
        ordinary_first = _ordinary_first(rules, *window.lane)
    else:
        rules = queries.rules_for(zone)
        ordinary_first = ordinary_due(zone, today, rules, now)
    ticket = None
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            ticket = claim(zone, today, window, actor, now, ordinary_first=ordinary_first)
        except IntegrityError:
            # The same window called twice at the same instant (a double click): the other call won.
            raise Conflict(_("该窗口已有正在办理的号码。")) from None
        if ticket is not None:
            break
        if not Ticket.objects.filter(zone=zone, date=today, status=Ticket.Status.WAITING).exists():
            return None
        time.sleep(0.002 * (attempt + 1))
    if ticket is None:
        raise TryAgain(_("等候的号码正被其他窗口叫取，请再叫一次。"))
    ticket.zone, ticket.window = zone, window
    remind_near_turn(zone, today, rules, now, request=request)
    audit.record(actor, "queue.call", ticket, summary=f"{ticket.number} → {window.number}", request=request)
    return ticket


REMINDER_VALID = datetime.timedelta(minutes=30)  # a reminder still undelivered by then would only mislead


def remind_near_turn(zone: Zone, date: datetime.date, rules, now, *, request=None) -> list[int]:
    """After a call: one message (through the outbox) to each waiting ticket of the zone now at most
    `near_turn_ahead` places from the front, with a phone, not yet reminded, and issued further back than that
    (a person told "2 ahead" at the kiosk was promised nothing more). The ids of the tickets reminded.

    The tickets are marked in the caller's transaction by one conditional UPDATE: a ticket is reminded once, also
    when several windows call at the same instant (on PostgreSQL rows another window is marking or claiming are
    skipped, never waited for — that window reminds or calls them)."""
    ahead_limit = rules.near_turn_ahead
    t = sql.table(Ticket)
    with sql.cursor() as cursor:
        cursor.execute(
            f"SELECT id, phone, reminded_at, ahead_at_issue FROM {t} WHERE zone_id = %s AND date = %s AND status = %s "
            f"ORDER BY front DESC, priority DESC, booked DESC, queued_at, id LIMIT %s",
            sql.params(zone.pk, date, Ticket.Status.WAITING, ahead_limit + 1),
        )
        head = cursor.fetchall()
    position = {
        pk: ahead
        for ahead, (pk, phone, reminded_at, at_issue) in enumerate(head)
        if phone and reminded_at is None and at_issue > ahead_limit
    }
    if not position:
        return []
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    marks = ", ".join(["%s"] * len(position))
    with sql.cursor() as cursor:
        cursor.execute(
            f"UPDATE {t} SET reminded_at = %s WHERE id IN (SELECT id FROM {t} WHERE id IN ({marks}) "
            f"AND status = %s AND reminded_at IS NULL{lock}) RETURNING id, number, phone, token",
            sql.params(now, *position, Ticket.Status.WAITING),
        )
        marked = sorted(cursor.fetchall(), key=lambda row: position[row[0]])
    if not marked:
        return []
    site_name = Site.objects.filter(pk=zone.site_id).values_list("name", flat=True).first()
    for pk, number, phone, token in marked:
        context = {
            "number": number,
            "zone": zone.name,
            "ahead": position[pk],
            "url": absolute(reverse("queue:mobile", args=[token]), request),
        }
        if site_name:
            context["site_name"] = site_name
        notify(phone, Message.Kind.TURN_NEAR, context, expires_at=now + REMINDER_VALID)
    return [row[0] for row in marked]


@transaction.atomic
def recall(ticket: Ticket, actor, *, now=None, request=None) -> Ticket:
    now = now or timezone.now()
    ticket = _lock_ticket(ticket, actor)
    window = _ensure_at_ticket_window(ticket)
    _ensure_status(ticket, Ticket.Status.CALLED)
    _save(ticket, call_count=ticket.call_count + 1)  # the row is locked: no lost update
    _event(ticket, TicketEvent.Kind.RECALLED, now, window=window, staff=actor, call=ticket.call_count)
    audit.record(actor, "queue.recall", ticket, summary=f"{ticket.number} ×{ticket.call_count}", request=request)
    return ticket


@transaction.atomic
def start_serving(ticket: Ticket, actor, *, now=None, request=None) -> Ticket:
    """The person came to the window (开始办理)."""
    now = now or timezone.now()
    ticket = _lock_ticket(ticket, actor)
    window = _ensure_at_ticket_window(ticket)
    _ensure_status(ticket, Ticket.Status.CALLED)
    _save(ticket, status=Ticket.Status.SERVING, served_at=now)
    _event(ticket, TicketEvent.Kind.SERVED, now, window=window, staff=actor)
    audit.record(actor, "queue.serve", ticket, summary=ticket.number, request=request)
    return ticket


@transaction.atomic
def mark_no_show(ticket: Ticket, actor, *, now=None, request=None) -> Ticket:
    """过号: only after the zone's number of calls."""
    now = now or timezone.now()
    ticket = _lock_ticket(ticket, actor)
    window = _ensure_at_ticket_window(ticket)
    _ensure_status(ticket, Ticket.Status.CALLED)
    needed = queries.rules_for(ticket.zone).no_show_after_calls
    if ticket.call_count < needed:
        raise Conflict(
            _("号码 %(number)s 须呼叫满 %(needed)s 次才能过号（已呼叫 %(count)s 次）。")
            % {"number": ticket.number, "needed": needed, "count": ticket.call_count}
        )
    _save(ticket, status=Ticket.Status.MISSED, missed_at=now, window=None)
    _event(ticket, TicketEvent.Kind.NO_SHOW, now, window=window, staff=actor, calls=ticket.call_count)
    audit.record(actor, "queue.no_show", ticket, summary=ticket.number, request=request)
    return ticket


@transaction.atomic
def reactivate(ticket: Ticket, actor, *, front: bool = False, now=None, request=None) -> Ticket:
    """A missed ticket whose holder came back queues again (at the end, or at the front)."""
    now = now or timezone.now()
    ticket = _lock_ticket(ticket, actor)
    window = _seat_window(actor)
    if window.zone_id != ticket.zone_id:
        raise PermissionDenied(_("号码 %(number)s 不属于您所在的服务区。") % {"number": ticket.number})
    _ensure_status(ticket, Ticket.Status.MISSED)
    if ticket.date != timezone.localdate(now):
        raise Conflict(_("只能恢复当天的号码。"))
    _save(ticket, status=Ticket.Status.WAITING, queued_at=now, front=bool(front), call_count=0, called_at=None)
    _event(ticket, TicketEvent.Kind.REACTIVATED, now, window=window, staff=actor, front=bool(front))
    audit.record(actor, "queue.reactivate", ticket, summary=ticket.number, request=request, front=bool(front))
    return ticket


@transaction.atomic
def transfer(ticket: Ticket, zone: Zone, actor, *, front: bool = False, now=None, request=None) -> Ticket:
    """To another zone of the same site, keeping its number; optionally to the front of that queue."""
    now = now or timezone.now()
    ticket = _lock_ticket(ticket, actor)
    _ensure_status(ticket, Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING)
    window = _seat_window(actor)
    if ticket.status == Ticket.Status.WAITING:
        if window.zone_id != ticket.zone_id:
            raise PermissionDenied(_("号码 %(number)s 不属于您所在的服务区。") % {"number": ticket.number})
    elif ticket.window_id != window.pk:
        raise PermissionDenied(_("号码 %(number)s 不在您的窗口。") % {"number": ticket.number})
    if zone.pk == ticket.zone_id:
        raise QueueError({"zone": _("号码已在该服务区。")})
    if zone.site_id != ticket.zone.site_id:
        raise QueueError({"zone": _("只能转到本场所的服务区。")})
    source = ticket.zone
    _save(
        ticket,
        zone=zone,
        status=Ticket.Status.WAITING,
        front=bool(front),
        booked=False,
        queued_at=now,
        window=None,
        called_at=None,
        call_count=0,
        served_at=None,
    )
    _event(
        ticket,
        TicketEvent.Kind.TRANSFERRED,
        now,
        window=window,
        staff=actor,
        from_zone=source.code,
        to_zone=zone.code,
        front=bool(front),
    )
    audit.record(
        actor,
        "queue.transfer",
        ticket,
        summary=f"{ticket.number} {source.code} → {zone.code}",
        request=request,
        front=bool(front),
    )
    return ticket


@transaction.atomic
def finish(ticket: Ticket, actor, *, now=None, request=None) -> Ticket:
    now = now or timezone.now()
    done = _finish_in_one(ticket, actor, now) if connection.vendor == "postgresql" else None
    if done is None:  # SQLite, or a refusal to explain: the step by step way
        done = _lock_ticket(ticket, actor)
        window = _ensure_at_ticket_window(done)
        _ensure_status(done, Ticket.Status.CALLED, Ticket.Status.SERVING)
        _save(done, status=Ticket.Status.FINISHED, finished_at=now)
        _event(done, TicketEvent.Kind.FINISHED, now, window=window, staff=actor)
    performance.touch(now)  # a ticket finished on a day that is over: that day's rollup is stale
    audit.record(actor, "queue.finish", done, summary=done.number, request=request)
    return done


def _finish_in_one(ticket: Ticket, actor, now) -> Ticket | None:
    """PostgreSQL, the usual case in one statement: finish the ticket if it is called or being served at the
    window where `actor` sits now, and write its 'finished' event. None if any of that is not so."""
    t, z, w, s, e = sql.table(Ticket), sql.table(Zone), sql.table(Window), sql.table(Seat), sql.table(TicketEvent)
    rows = list(
        sql.fetch_models(
            Ticket,
            f"WITH done AS (UPDATE {t} SET status = %s, finished_at = %s WHERE {t}.id = %s AND {t}.status IN (%s, %s) "
            f"AND EXISTS (SELECT 1 FROM {s} WHERE {s}.user_id = %s AND {s}.window_id = {t}.window_id "
            f"AND {s}.date = %s AND {s}.until IS NULL) RETURNING *), "
            f"logged AS (INSERT INTO {e} (ticket_id, kind, at, zone_id, window_id, staff_id, detail) "
            f"SELECT id, %s, %s, zone_id, window_id, %s, '{{}}'::jsonb FROM done) "
            f"SELECT done.*, {z}.code AS zone_code, {z}.name AS zone_name, {z}.site_id AS zone_site_id, "
            f"{w}.number AS window_number FROM done JOIN {z} ON {z}.id = done.zone_id "
            f"JOIN {w} ON {w}.id = done.window_id",
            [
                *sql.params(Ticket.Status.FINISHED, now, ticket.pk, *OPEN_STATES, getattr(actor, "pk", None)),
                *sql.params(timezone.localdate(), TicketEvent.Kind.FINISHED, now, getattr(actor, "pk", None)),
            ],
        )
    )
    if not rows:
        return None
    done = rows[0]
    done.zone = Zone(id=done.zone_id, code=done.zone_code, name=done.zone_name, site_id=done.zone_site_id)
    done.window = Window(id=done.window_id, number=done.window_number, zone_id=done.zone_id)
    return done


# --- appointments ----------------------------------------------------------------------------------


@transaction.atomic
def open_slots(
    zone: Zone,
    date: datetime.date,
    start: datetime.time,
    end: datetime.time,
    *,
    minutes: int,
    capacity: int,
    actor=None,
) -> list[AppointmentSlot]:
    """Bookable slots of `minutes` from `start` to `end`; existing slots are kept as they are."""
    if minutes < 5 or capacity < 1:
        raise QueueError(_("时段至少 5 分钟，每个时段至少可约 1 人。"))
    if start >= end:
        raise QueueError({"end": _("结束时间须晚于开始时间。")})
    created = []
    t = datetime.datetime.combine(date, start)
    stop = datetime.datetime.combine(date, end)
    while t + datetime.timedelta(minutes=minutes) <= stop:
        slot_end = t + datetime.timedelta(minutes=minutes)
        slot, made = AppointmentSlot.objects.get_or_create(
            zone=zone, date=date, start=t.time(), defaults={"end": slot_end.time(), "capacity": capacity}
        )
        if made:
            created.append(slot)
        t = slot_end
    audit.record(
        actor, "queue.open_slots", zone, summary=f"{zone.code} {date} {start:%H:%M}–{end:%H:%M}", slots=len(created)
    )
    return created


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


@transaction.atomic
def book_appointment(
    slot: AppointmentSlot, *, name: str, phone: str, actor=None, matter=None, prefill=None, now=None, request=None
) -> Appointment:
    """Book one place in `slot`; capacity holds under concurrency (one conditional UPDATE). Optionally for a
    `matter` the slot's zone takes in, or for a pre-filled application (`prefill`, a situation guide's result) of
    that zone: the confirmation sent to `phone` lists the materials to bring and links the page with the code's QR."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise QueueError({"name": _("请填写姓名。")})
    phone = clean_phone(phone)
    if not phone:
        raise QueueError({"phone": _("请填写手机号码，用于接收预约信息。")})
    if matter is not None and not matter.zones.filter(pk=slot.zone_id).exists():
        raise QueueError({"matter": _("该事项不在此服务区办理，请选择其他服务区。")})
    if prefill is not None:
        from yichuang.prefill.queries import zones_for
        from yichuang.prefill.services import usable_problem

        zone_ids = list(zones_for(prefill).values_list("pk", flat=True))
        if (problem := usable_problem(prefill, now=now)) is not None:
            raise QueueError({"prefill": problem})
        if phone not in {prefill.applicant.get("phone"), (prefill.agent or {}).get("phone")}:
            raise QueueError({"phone": _("请使用填报预填申请时留的手机号预约。")})
        if slot.zone_id not in zone_ids:
            raise QueueError({"prefill": _("该预填申请须到 %(zone)s 办理，请选择该服务区的时段。") % {
                "zone": "、".join(Zone.objects.filter(pk__in=zone_ids).values_list("name", flat=True))}})  # fmt: skip
    start = timezone.make_aware(datetime.datetime.combine(slot.date, slot.start))
    if start + datetime.timedelta(minutes=queries.rules_for(slot.zone).appointment_late_minutes) < now:
        raise Conflict(_("该时段已过。"))
    if Appointment.objects.filter(
        slot__zone_id=slot.zone_id, slot__date=slot.date, phone=phone, status=Appointment.Status.BOOKED
    ).exists():
        raise Conflict(_("该手机号当天在此服务区已有预约。"))
    with transaction.atomic():
        taken = AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
        if not taken:
            raise Conflict(_("该时段已约满，请选择其他时段。"))
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        slot=slot,
                        code=_new_code(),
                        name=name,
                        phone=phone,
                        created_at=now,
                        created_by=actor if getattr(actor, "pk", None) else None,
                        matter=matter,
                        prefill=prefill,
                        token=secrets.token_urlsafe(16),
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 32^8 codes
            raise Conflict(_("请重试。"))
        audit.record(actor, "queue.book", appointment, summary=f"{slot}", request=request)
        _tell_booked(appointment)
    return appointment


def appointment_url(appointment: Appointment) -> str:
    return absolute(reverse("queue:appointment", args=[appointment.token])) if appointment.token else ""


def _when(appointment: Appointment) -> str:
    slot = appointment.slot
    return f"{slot.date:%m月%d日} {slot.start:%H:%M}–{slot.end:%H:%M}"


def _tell_booked(appointment: Appointment) -> None:
    materials = [line.name for line in queries.appointment_materials(appointment) if line.required]
    notify(
        appointment.phone,
        "appointment_booked",
        {"when": _when(appointment), "zone": appointment.slot.zone.name, "code": appointment.code,
         "materials": "、".join(materials), "url": appointment_url(appointment)},
    )  # fmt: skip


DAY_BEFORE_FROM = datetime.time(9, 0)  # the day-before reminder goes out from this local time on


def remind_appointments(now=None) -> dict:
    """The day before (from DAY_BEFORE_FROM) and an hour before its slot, each booked appointment is reminded once
    — not when it was booked after that moment (its confirmation is fresh). Marked by a conditional UPDATE in the
    message's transaction: two workers, or a run after a failed one, remind nobody twice."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    sent = {"day": 0, "hour": 0}
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED).select_related("slot__zone")
    if local.time() >= DAY_BEFORE_FROM:
        cutoff = timezone.make_aware(datetime.datetime.combine(today, DAY_BEFORE_FROM))
        tomorrow = booked.filter(
            slot__date=today + datetime.timedelta(days=1), reminded_day_at__isnull=True, created_at__lt=cutoff
        )
        for appointment in tomorrow:
            sent["day"] += _remind(appointment, "reminded_day_at", now, soon=False, valid=datetime.timedelta(hours=12))
    for appointment in booked.filter(slot__date=today, reminded_hour_at__isnull=True):
        start = timezone.make_aware(datetime.datetime.combine(appointment.slot.date, appointment.slot.start))
        hour_before = start - datetime.timedelta(hours=1)
        if hour_before <= now < start and appointment.created_at < hour_before:
            sent["hour"] += _remind(appointment, "reminded_hour_at", now, soon=True, valid=start - now)
    return sent


@transaction.atomic
def _remind(appointment: Appointment, mark: str, now, *, soon: bool, valid: datetime.timedelta) -> int:
    still = Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.BOOKED, **{f"{mark}__isnull": True})
    if not still.update(**{mark: now}):
        return 0  # another worker reminded it, or it was cancelled or checked in meanwhile
    context = {"when": _when(appointment), "zone": appointment.slot.zone.name, "code": appointment.code,
               "soon": soon, "url": appointment_url(appointment)}  # fmt: skip
    notify(appointment.phone, "appointment_reminder", context, expires_at=now + valid)
    return 1


@transaction.atomic
def cancel_appointment(appointment: Appointment, actor=None, *, request=None) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(_("该预约已签到或已取消。"))
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    AppointmentSlot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    audit.record(actor, "queue.cancel_appointment", appointment, summary=appointment.code, request=request)
    return appointment


@transaction.atomic
def check_in(code: str, *, site=None, now=None, request=None) -> tuple[Ticket, bool]:
    """Check in with the booking code: (ticket, in_time). Within −early/+late minutes of the slot's start the
    ticket goes ahead of walk-ins; later it joins the ordinary queue; earlier is refused."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    appointment = (
        Appointment.objects.select_for_update().select_related("slot__zone__site").filter(code=code).first()
        if code
        else None
    )
    if appointment is None:
        raise QueueError({"code": _("预约码不存在，请核对。")})
    slot = appointment.slot
    if site is not None and slot.zone.site_id != site.pk:
        raise QueueError({"code": _("该预约不在本服务场所。")})
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(_("该预约已签到或已取消。"))
    if slot.date != timezone.localdate(now):
        raise Conflict(_("该预约的日期是 %(date)s，不是今天。") % {"date": slot.date})
    rules = queries.rules_for(slot.zone)
    start = timezone.make_aware(datetime.datetime.combine(slot.date, slot.start))
    opens = start - datetime.timedelta(minutes=rules.appointment_early_minutes)
    if now < opens:
        raise Conflict(_("请于 %(time)s 之后签到。") % {"time": timezone.localtime(opens).strftime("%H:%M")})
    in_time = now <= start + datetime.timedelta(minutes=rules.appointment_late_minutes)
    appointment.status, appointment.checked_in_at = Appointment.Status.CHECKED_IN, now
    appointment.save(update_fields=["status", "checked_in_at"])
    ticket = issue_ticket(
        slot.zone,
        phone=appointment.phone,
        source=Ticket.Source.APPOINTMENT,
        appointment=appointment,
        matter=appointment.matter if appointment.matter_id else None,
        booked=in_time,
        now=now,
        request=request,
    )
    if appointment.prefill_id:  # the window that calls the ticket finds the pre-filled application at once
        from yichuang.prefill.services import attach_ticket

        attach_ticket(appointment.prefill, ticket)
    audit.record(
        None,
        "queue.check_in",
        appointment,
        summary=f"{appointment.code} → {ticket.number}",
        request=request,
        in_time=in_time,
    )
    return ticket, in_time
