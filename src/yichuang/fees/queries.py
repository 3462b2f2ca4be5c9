"""Reads of fees shared by the output window, the case page and the progress page."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

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


def owing(cases) -> dict[int, Decimal]:
    """Case id → the amount of its unpaid notices (待缴费), for the cases that owe anything: what the output window,
    its list, the API and the ready message show. The hand-over itself is refused by fees.services.ensure_paid."""
    rows = (
        PaymentNotice.objects.filter(case__in=cases, status=PaymentNotice.Status.UNPAID)
        .values("case_id")
        .annotate(total=Sum("amount"))
    )
    cent = Decimal("0.01")  # SQLite's SUM drops the scale (10.00 → 10)
    return {row["case_id"]: Decimal(row["total"]).quantize(cent) for row in rows}


def owing_case_ids():
    """The cases that owe a fee, as a subquery (a licence of such a case is not in force yet)."""
    return PaymentNotice.objects.filter(status=PaymentNotice.Status.UNPAID).values("case_id")
