"""State changes of the organisation: seating and API tokens. One function per transition."""

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit

from .models import ApiToken, Seat, User, Window
from .roles import Role, acts_as


@transaction.atomic
def take_seat(user: User, window: Window, *, actor: User | None = None) -> Seat:
    """Seat `user` at `window` for today, leaving any seat they held before."""
    if not window.is_open:
        raise ValidationError(_("该窗口已关闭。"))
    if not acts_as(user, Role.WINDOW_CLERK, Role.OUTPUT_CLERK, Role.CONSULTANT, Role.HALL_ADMIN):
        raise ValidationError(_("该工作人员没有窗口岗位。"))
    now = timezone.now()
    today = timezone.localdate(now)
    Seat.objects.filter(user=user, date=today, until__isnull=True).update(until=now)
    try:
        with transaction.atomic():
            seat = Seat.objects.create(window=window, user=user, date=today, since=now)
    except IntegrityError:
        raise ValidationError(_("该窗口已有工作人员入座。")) from None
    audit.record(actor or user, "organisation.take_seat", seat, summary=f"{user} → {window}")
    return seat


@transaction.atomic
def leave_seat(user: User, *, actor: User | None = None) -> int:
    now = timezone.now()
    seats = list(Seat.objects.select_for_update().filter(user=user, date=timezone.localdate(now), until__isnull=True))
    for seat in seats:
        seat.until = now
        seat.save(update_fields=["until"])
        audit.record(actor or user, "organisation.leave_seat", seat, summary=f"{user} ← {seat.window}")
    return len(seats)


@transaction.atomic
def issue_api_token(user: User, label: str = "", *, actor: User | None = None) -> str:
    """Create a token for `user` and return the key; only its hash is kept."""
    key = "yc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, key_hash=ApiToken.hash(key), label=label)
    audit.record(actor, "organisation.issue_api_token", token, summary=f"{user.username} {label}")
    return key
