"""Reads of fees shared by the output window, the case page and the progress page."""

from collections import defaultdict

from .models import PaymentNotice


def by_case(cases) -> dict[int, list[PaymentNotice]]:
    """Each case's notices (with their lines), oldest first."""
    out: dict[int, list[PaymentNotice]] = defaultdict(list)
    for notice in PaymentNotice.objects.filter(case__in=cases).prefetch_related("lines").order_by("pk"):
        out[notice.case_id].append(notice)
    return dict(out)
