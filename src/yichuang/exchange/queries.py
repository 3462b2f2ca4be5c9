"""Reads of the exchange outbox (the admin's counts, `yichuang exchange status`)."""

from django.db.models import Count

from .models import OutboxEvent


def counts() -> dict[str, int]:
    found = dict(OutboxEvent.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status: found.get(status, 0) for status in OutboxEvent.Status.values}


def needing_attention():
    """Rows the province rejected or that failed: each blocks the later rows of its case."""
    return OutboxEvent.objects.filter(status__in=[OutboxEvent.Status.REJECTED, OutboxEvent.Status.FAILED])
