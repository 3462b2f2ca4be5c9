"""The demo's e-licences: types the approvals of the demo history issue as they conclude, a business licence from
the province's licence store for a care home to reuse at intake, and the ID card copy reusable for half a year."""

import json

from yichuang.catalogue.models import Material, Matter
from yichuang.intake.identity import uscc_check

from . import services
from .models import LicenceType, ReusableMaterial

TYPES = [
    # (type code, name, holder kind, years valid, matters issuing it, materials it stands for)
    ("SQ-SPJY", "食品经营许可证", "org", 5, ["411624-XK-SCJG-005"], []),
    ("SQ-YYZZ", "营业执照", "org", None, [], ["business-license"]),
]
REUSABLE = [("id-card", 180)]  # (material, days)

# The README's walk: 沈丘县康乐养老服务有限公司 applies for 养老机构备案, which asks for its 营业执照 (免提交).
CARE_HOME = "沈丘县康乐养老服务有限公司"
CARE_HOME_CODE = "91411624MA9M1000" + "0"
CARE_HOME_CODE += uscc_check(CARE_HOME_CODE)


def load_licence_types() -> str:
    """Idempotent: a second load changes nothing."""
    for code, name, kind, years, matters, materials in TYPES:
        licence_type, _created = LicenceType.objects.update_or_create(
            code=code, defaults={"name": name, "holder_kind": kind, "valid_years": years}
        )
        licence_type.issuing_matters.set(Matter.objects.filter(code__in=matters))
        licence_type.materials.set(Material.objects.filter(code__in=materials))
    for material, days in REUSABLE:
        found = Material.objects.filter(code=material).first()
        if found is not None:
            ReusableMaterial.objects.update_or_create(material=found, defaults={"valid_days": days})
    imported = services.import_province(
        [
            json.dumps(
                {
                    "type": "SQ-YYZZ",
                    "number": CARE_HOME_CODE,
                    "holder_kind": "org",
                    "holder_name": CARE_HOME,
                    "holder_id_number": CARE_HOME_CODE,
                    "issuer_name": "沈丘县市场监督管理局",
                    "issued_on": "2024-05-20",
                },
                ensure_ascii=False,
            )
        ]
    )
    if imported.errors:
        raise ValueError("; ".join(imported.errors))
    return (
        f"电子证照类型：{len(TYPES)} 种（准予办结时自动生成电子证照）；省证照库导入 {imported.created} 张；"
        f"可复用材料 {len(REUSABLE)} 种"
    )
