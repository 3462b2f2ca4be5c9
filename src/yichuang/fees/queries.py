"""Reads of fees shared by the output window, the case page and the progress page."""

from collections import defaultdict

from .models import FeeItem, PaymentNotice, Stage


def by_case(cases) -> dict[int, list[PaymentNotice]]:
    """Each case's notices (with their lines), oldest first."""
    out: dict[int, list[PaymentNotice]] = defaultdict(list)
    for notice in PaymentNotice.objects.filter(case__in=cases).prefetch_related("lines").order_by("pk"):
        out[notice.case_id].append(notice)
    return dict(out)


def per_unit_items(case) -> list[FeeItem]:
    """The fee items charged per unit when the case is approved: the 办结 form asks their units."""
    kind = case.submission.applicant.kind
    items = FeeItem.objects.filter(matter_id=case.matter_id, stage=Stage.CONCLUSION, active=True).exclude(unit="")
    return [item for item in items if item.waived_for != kind]
