"""The demo's pre-filled applications: one made in the online hall that asks for a pre-check (so /desk/prefills/ has
work), made through `services.create` like any other."""

from yichuang.catalogue.queries import default_site
from yichuang.intake.identity import uscc_check
from yichuang.situation.models import Guide

from . import services
from .models import Prefill

ANSWERS = {"seal": "need", "bank": "open", "invoice": "need", "social": "need", "staff": "none", "fund": "skip",
           "shareholders": "legal", "premises": "own", "agent": "self"}  # fmt: skip


def load_prefills() -> str:
    guide = Guide.objects.filter(code="enterprise-opening").first()
    site = default_site()
    if guide is None or site is None or guide.published() is None or Prefill.objects.exists():
        return "预填申请：无"
    first17 = "91411624MA9K3P7Q2"
    services.create(
        site=site, channel=Prefill.Channel.PORTAL, version=guide.published(), answers=ANSWERS,
        applicant={"kind": "org", "name": "沈丘县禾丰农业科技有限公司", "id_number": first17 + uscc_check(first17),
                   "phone": "13703945521"},
        precheck=True,
    )  # fmt: skip
    return "预填申请：1 件待预审（网上大厅填报）"
