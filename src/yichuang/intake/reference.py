"""The reference data an intake reads — matters, bundles, merged material lists, snapshots, take-in verdicts,
site clocks, pickup slots — cached per process and checked on every use against one revision token.

Every save, delete or many-to-many change of a catalogue, organisation (hall) or calendar model replaces the
token in the `ReferenceRevision` row (in the same transaction as the change). An intake reads the token once
(one query) and uses this process's cache built under that token, or builds it again. So a change made by any
process is seen by the next intake anywhere, and an intake of the 企业开办 bundle reads the catalogue by one
small query instead of a few dozen. Nothing is cached while the row is missing (a freshly flushed database).

What is cached are the answers of the owning apps' own functions (`Matter.snapshot()`,
`catalogue.queries.merged_materials`, `catalogue.services.ensure_can_be_taken_in`, the working calendar), never
a copy of their rules. Bulk `QuerySet.update()` sends no signal: code changing these tables that way must call
`bump()` itself.
"""

import secrets
import threading

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from .models import ReferenceRevision

ROW_ID = 1
_lock = threading.Lock()
_cache: dict = {"token": None, "entries": {}}


def bump(**kwargs) -> None:
    """Give the reference data a new revision token (a signal receiver; also callable directly)."""
    if kwargs.get("action") and not str(kwargs["action"]).startswith("post_"):
        return  # m2m_changed: only once the change is made
    table = connection.ops.quote_name(ReferenceRevision._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, token, changed_at) VALUES (%s, %s, %s) "
            f"ON CONFLICT (id) DO UPDATE SET token = excluded.token, changed_at = excluded.changed_at",
            [ROW_ID, secrets.token_hex(16), timezone.now()],
        )


def watched_models() -> list:
    from yichuang.catalogue.models import Bundle, BundleItem, Material, Matter, MatterMaterial
    from yichuang.clock.models import CalendarOverride, CalendarYear, ClockRules
    from yichuang.organisation.models import Department, OpeningPeriod, PickupSlot, Site, Window, Zone

    return [
        Material, Matter, MatterMaterial, Bundle, BundleItem,
        Site, OpeningPeriod, Department, PickupSlot, Zone, Window,
        CalendarOverride, CalendarYear, ClockRules,
    ]  # fmt: skip


def connect_signals() -> None:
    from yichuang.catalogue.models import Matter

    for model in watched_models():
        label = model._meta.label_lower
        post_save.connect(bump, sender=model, dispatch_uid=f"intake.reference.save.{label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"intake.reference.delete.{label}")
    m2m_changed.connect(bump, sender=Matter.zones.through, dispatch_uid="intake.reference.matter_zones")


def current_token() -> str | None:
    """The revision now (services read it together with the intake's other first reads)."""
    return ReferenceRevision.objects.filter(pk=ROW_ID).values_list("token", flat=True).first()


class Reference:
    """The cache of one revision, for one intake: `get(key, build)` returns the cached answer or builds it."""

    def __init__(self, token: str | None):
        self.token = token
        if token is None:
            self.entries = {}  # not shared: nothing is kept without a revision
            return
        with _lock:
            if _cache["token"] != token:
                _cache["token"], _cache["entries"] = token, {}
            self.entries = _cache["entries"]

    def get(self, key, build):
        try:
            return self.entries[key]
        except KeyError:
            value = build()
            self.entries[key] = value
            return value


# --- the cached answers ---------------------------------------------------------------------------------


def window(ref: Reference, pk: int):
    """The window with its zone and site, or None."""

    def build():
        from yichuang.organisation.models import Window

        return Window.objects.select_related("zone__site").filter(pk=pk).first()

    return ref.get(("window", pk), build)


def bundle_with_matters(ref: Reference, code: str):
    """(bundle or None, its matters in order with their departments)."""

    def build():
        from yichuang.catalogue.models import Bundle

        bundle = Bundle.objects.select_related("zone").filter(code=code).first()
        return bundle, (bundle.ordered_matters() if bundle is not None else [])

    return ref.get(("bundle", code), build)


def matters_by_code(ref: Reference, codes: list[str]) -> dict:
    """{code: Matter with department} for the codes that exist."""

    def build():
        from yichuang.catalogue.models import Matter

        return {m.code: m for m in Matter.objects.select_related("department").filter(code__in=list(key[1]))}

    key = ("matters", tuple(sorted(set(codes))))
    return ref.get(key, build)


def take_in_problems(ref: Reference, matter, window) -> list[str]:
    """The messages of catalogue.services.ensure_can_be_taken_in(matter, window.zone, window); [] when allowed."""

    def build():
        from yichuang.catalogue import services as catalogue_services

        try:
            catalogue_services.ensure_can_be_taken_in(matter, window.zone, window)
        except ValidationError as exc:
            return list(exc.messages)
        return []

    return ref.get(("take_in", matter.pk, window.pk), build)


def merged(ref: Reference, matters: list) -> list:
    from yichuang.catalogue.queries import merged_materials

    return ref.get(("merged", tuple(m.pk for m in matters)), lambda: merged_materials(matters))


def snapshot(ref: Reference, matter) -> dict:
    return ref.get(("snapshot", matter.pk), matter.snapshot)


def material_ids(ref: Reference, codes: list[str]) -> dict[str, int]:
    def build():
        from yichuang.catalogue.models import Material

        return dict(Material.objects.filter(code__in=list(key[1])).values_list("code", "pk"))

    key = ("material_ids", tuple(sorted(set(codes))))
    return ref.get(key, build)


def site_clock(ref: Reference, site):
    from . import deadlines

    return ref.get(("clock", site.pk), lambda: deadlines.site_calendar(site))


def pickup_slots(ref: Reference, department_id: int) -> list:
    from yichuang.organisation.models import PickupSlot

    return ref.get(("pickup", department_id), lambda: list(PickupSlot.objects.filter(department_id=department_id)))


def clock_rules(ref: Reference):
    from yichuang.clock.models import ClockRules

    return ref.get(("clock_rules",), ClockRules.current)
