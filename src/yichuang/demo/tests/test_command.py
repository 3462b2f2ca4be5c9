"""`yichuang demo --no-serve`: hall, staff and catalogue in one transaction, twice without harm."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yichuang.catalogue.exchange import CatalogueImportError
from yichuang.catalogue.models import Bundle, BundleItem, LifeEvent, Material, Matter, MatterMaterial
from yichuang.core.models import AuditEvent
from yichuang.demo import hall
from yichuang.organisation.models import Department, Site, User, Window, Zone
from yichuang.queue.models import Ticket

from .test_hall import counts

pytestmark = pytest.mark.django_db


def all_counts() -> dict:
    return {
        **counts(),
        "life_events": LifeEvent.objects.count(),
        "materials": Material.objects.count(),
        "matters": Matter.objects.count(),
        "requirements": MatterMaterial.objects.count(),
        "bundles": Bundle.objects.count(),
        "bundle_items": BundleItem.objects.count(),
        "demo_events": AuditEvent.objects.filter(action__startswith="demo.").count(),
        "tickets": Ticket.objects.count(),
    }


def run_demo() -> str:
    out = io.StringIO()
    # One week of history is enough to see the command play and not replay it (`make demo` plays four).
    call_command("demo", "--no-serve", "--history-weeks", "1", stdout=out)
    return out.getvalue()


def test_demo_command_loads_everything_and_twice_changes_nothing():
    out = run_demo()
    for line in ["1/3", "2/3", "3/3", "窗口：49，新建 49", "改革新设综合窗口 16 个，已配备 8 人", "演示账号"]:
        assert line in out, line
    for username in ["clerk1", "officer_market", "lead_market", "output1", "consultant1", "supervisor", "admin"]:
        assert f"\n{username} " in out, username
    assert f"全部演示账号的密码：{hall.DEMO_PASSWORD}" in out
    first = all_counts()
    assert first["matters"] >= 60 and first["bundles"] >= 1
    # The catalogue's matters sit in the hall's zones and departments.
    assert not Matter.objects.exclude(department__in=Department.objects.all()).exists()
    assert set(Zone.objects.filter(matters__isnull=False).values_list("site__code", flat=True)) == {"shenqiu"}
    assert not Matter.objects.filter(department__presence=Department.Presence.DELEGATED, delegated=False).exists()
    matters = {m.pk: m.updated_at for m in Matter.objects.all()}

    out = run_demo()
    assert all_counts() == first
    assert "新建" not in out and "更新" not in out.split("3/3")[0]
    assert {m.pk: m.updated_at for m in Matter.objects.all()} == matters


def test_a_bad_catalogue_loads_nothing(tmp_path):
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("format: yichuang-catalogue/1\nmatters:\n  - {code: 'x y', name: 坏事项}\n", encoding="utf-8")
    with pytest.raises(CatalogueImportError) as failure:
        hall.load_demo(catalogue_path=bad)
    assert failure.value.problems
    # One transaction: the hall and the staff went back with the catalogue.
    assert not Site.objects.exists() and not Window.objects.exists() and not User.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="demo.").exists()


def test_command_refuses_an_unmigrated_database(monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    with pytest.raises(CommandError, match="yichuang migrate"):
        run_demo()
