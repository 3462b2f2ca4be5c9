"""The demo hall's situation guides (data/guides.yaml): each guide with its test cases, its rules as version 1,
published through `services.publish` (so the demo's guides passed their own cases)."""

from pathlib import Path

import yaml

from yichuang.catalogue.models import Bundle, Matter
from yichuang.organisation.models import User
from yichuang.organisation.roles import Role

from . import services
from .models import Guide, GuideCase

GUIDES_PATH = Path(__file__).parent / "data" / "guides.yaml"


def _publisher():
    """The demo's hall admin publishes (a superuser if the demo has none)."""
    return (
        User.objects.filter(groups__name=str(Role.HALL_ADMIN), is_active=True).order_by("pk").first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )


def load_guides(path: Path = GUIDES_PATH, *, actor=None) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    actor = actor or _publisher()
    loaded = 0
    for item in data["guides"]:
        guide, created = Guide.objects.get_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "intro": item.get("intro", ""),
                "bundle": Bundle.objects.get(code=item["bundle"]) if item.get("bundle") else None,
                "matter": Matter.objects.get(code=item["matter"]) if item.get("matter") else None,
            },
        )
        if not created:
            continue
        for case in item.get("cases", []):
            GuideCase.objects.create(
                guide=guide,
                name=case["name"],
                answers=case["answers"],
                expect_matters=case["expect_matters"],
                expect_materials=case.get("expect_materials", ""),
                expect_notices=case.get("expect_notices", ""),
            )
        version = services.new_draft(guide, item["rules"], actor=actor, note="演示数据")
        services.publish(version, actor=actor)
        loaded += 1
    return f"情形引导：{loaded} 个（规则已通过各自的测试用例并发布）"
