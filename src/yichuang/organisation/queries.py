"""Reads about the organisation shared by pages and the API."""

from django.utils import timezone

from .models import Seat, User, Window


def current_seat(user: User) -> Seat | None:
    """Where the user sits now (today's open seat), with its window and zone."""
    if not user.is_authenticated:
        return None
    return (
        Seat.objects.select_related("window__zone__site")
        .filter(user=user, date=timezone.localdate(), until__isnull=True)
        .first()
    )


def windows(site=None, kind=None):
    qs = Window.objects.select_related("zone", "zone__site").order_by("zone__site", "number")
    if site is not None:
        qs = qs.filter(zone__site=site)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs
