"""The demo's licence types: the approvals of the demo history issue their e-licences as they conclude."""

from yichuang.catalogue.models import Matter

from .models import LicenceType

TYPES = [
    # (type code, name, holder kind, years valid, matters issuing it)
    ("SQ-SPJY", "食品经营许可证", "org", 5, ["411624-XK-SCJG-005"]),
]


def load_licence_types() -> str:
    """Idempotent: a second load changes nothing."""
    for code, name, kind, years, matters in TYPES:
        licence_type, _created = LicenceType.objects.update_or_create(
            code=code, defaults={"name": name, "holder_kind": kind, "valid_years": years}
        )
        licence_type.issuing_matters.set(Matter.objects.filter(code__in=matters))
    return f"电子证照类型：{len(TYPES)} 种（准予办结时自动生成电子证照）"
