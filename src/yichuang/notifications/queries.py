"""Reads of the outbox shared by the staff pages."""

from django.db.models import QuerySet

from .models import Message


def for_submission(number: str) -> QuerySet:
    """Every message about one submission, oldest first."""
    return Message.objects.filter(submission=number).order_by("created_at", "id")


def failed() -> QuerySet:
    return Message.objects.filter(status=Message.Status.FAILED).order_by("-created_at", "-id")
