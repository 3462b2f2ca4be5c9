"""The demo's fee items: one per matter of the demo catalogue that charges a fee (`Matter.fee`, its note as
the basis), charged when the case is approved. Loaded after the demo's history, so the history's results are
not held; cases taken in during the demo are charged and paid through the simulator (模拟缴费)."""

from yichuang.catalogue.models import Matter

from .models import FeeItem, Stage


def load_fee_items() -> str:
    """Idempotent: a second load changes nothing."""
    count = 0
    for matter in Matter.objects.filter(fee__gt=0).order_by("code"):
        FeeItem.objects.update_or_create(
            matter=matter,
            name="办理费用",
            defaults={
                "amount": matter.fee,
                "basis": (matter.fee_note or "按省定收费标准")[:300],
                "stage": Stage.CONCLUSION,
                "active": True,
            },
        )
        count += 1
    return f"收费项目：{count} 个（准予办结时开具缴款通知书，缴费后出件）"
