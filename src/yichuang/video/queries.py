"""Reads shared by the video pages and the API."""

import base64
import datetime as dt
import hashlib
import hmac
import time

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from yichuang.organisation.access import sees_all_departments
from yichuang.organisation.models import Department
from yichuang.organisation.roles import Role, acts_as, in_own_department

from .models import Booking, Call, Signal
from .services import EXPERT_ROLES

POLL_MS = 500


def ice_servers(now: float | None = None) -> list:
    """The ICE servers given to RTCPeerConnection: settings.VIDEO_ICE_SERVERS ([] = host candidates on the LAN
    only), plus the hall's coturn with a time-limited credential when VIDEO_TURN_SECRET is set (coturn's
    `use-auth-secret`/`static-auth-secret`: user "<expiry>:yichuang", password base64(HMAC-SHA1(secret, user)) —
    a password that stops working after VIDEO_TURN_TTL seconds, so one read from a page is worth little)."""
    servers = list(getattr(settings, "VIDEO_ICE_SERVERS", []) or [])
    secret, urls = getattr(settings, "VIDEO_TURN_SECRET", ""), getattr(settings, "VIDEO_TURN_URLS", [])
    if secret and urls:
        expiry = int((time.time() if now is None else now) + settings.VIDEO_TURN_TTL)
        username = f"{expiry}:yichuang"
        digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
        servers.append({"urls": list(urls), "username": username, "credential": base64.b64encode(digest).decode()})
    return servers


def consultation_url(call: Call) -> str:
    """Where the consultant records this call as a consultation (channel video): the consultation app's page,
    told which call it was."""
    return f"{reverse('consultation:desk')}?channel=video&video_call={call.pk}"


def is_expert(user) -> bool:
    return in_own_department(user, *EXPERT_ROLES)


def ringing_for(user) -> QuerySet:
    """Calls ringing for this user: consultation calls for consultants, support calls of the user's department
    for its officers and leads."""
    wanted = Q(pk__in=[])
    if acts_as(user, Role.CONSULTANT):
        wanted |= Q(kind=Call.Kind.CONSULT)
    if is_expert(user):
        wanted |= Q(kind=Call.Kind.SUPPORT, department_id=user.department_id)
    return (
        Call.objects.filter(wanted, status=Call.Status.RINGING)
        .exclude(caller_id=user.pk)
        .select_related("caller", "department", "case", "booking")
        .order_by("created_at", "id")
    )


def signals_after(call: Call, side: str, after: int) -> list[Signal]:
    """The other side's signals after the last id this side has seen."""
    return list(call.signals.filter(id__gt=after).exclude(sender=side).order_by("id")[:200])


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def bookings_on(day: dt.date, *, kind: str, department_id: int | None = None) -> QuerySet:
    start, end = day_bounds(day)
    return Booking.objects.filter(
        kind=kind, department_id=department_id, starts_at__gte=start, starts_at__lt=end, cancelled_at__isnull=True
    ).order_by("starts_at")


def my_bookings(user) -> QuerySet:
    return Booking.objects.filter(
        booked_by=user, ends_at__gte=timezone.now(), cancelled_at__isnull=True
    ).select_related("department")


def support_departments() -> list[Department]:
    """Departments a clerk may call: delegated ones (not in the hall) first, the main case of 业务支撑."""
    departments = list(Department.objects.all())
    return sorted(departments, key=lambda d: (not d.is_delegated, d.name))


def may_see_log(user) -> bool:
    return bool(sees_all_departments(user) or is_expert(user) or acts_as(user, Role.CONSULTANT, Role.WINDOW_CLERK))


def call_log(user) -> QuerySet:
    """Hall admins, supervisors and auditors see every call; a department's staff their department's support
    calls; consultants and clerks the calls they took part in."""
    calls = Call.objects.select_related("caller", "callee", "department", "case", "consultation", "booking")
    if sees_all_departments(user):
        return calls
    mine = Q(caller_id=user.pk) | Q(callee_id=user.pk)
    if is_expert(user):
        mine |= Q(kind=Call.Kind.SUPPORT, department_id=user.department_id)
    return calls.filter(mine)
