"""Reads of the catalogue shared by the guide pages, the API and (later) intake."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from . import search as search_module
from .models import Bundle, Matter, MatterMaterial


def matters(query: str = "", zone: str | None = None, department: str | None = None,
            life_event: str | None = None, include_inactive: bool = False) -> QuerySet:
    qs = Matter.objects.select_related("department")
    if not include_inactive:
        qs = qs.exclude(status=Matter.Status.CANCELLED)
    if zone:
        qs = qs.filter(zones__code=zone)
    if department:
        qs = qs.filter(department__code=department)
    if life_event:
        qs = qs.filter(life_events__code=life_event)
    if zone or life_event:
        qs = qs.distinct()
    if query:
        return search_module.search(qs, query)
    return qs.order_by("code")


def matter_detail(code: str) -> Matter:
    return (
        Matter.objects.select_related("department")
        .prefetch_related(
            Prefetch(
                "requirements", queryset=MatterMaterial.objects.select_related("material").order_by("order", "id")
            ),
            "zones__windows",
            "life_events",
        )
        .get(code=code)
    )


def bundles() -> QuerySet:
    return Bundle.objects.select_related("zone", "life_event").prefetch_related("items__matter").exclude(
        status=Matter.Status.CANCELLED
    )


@dataclass
class NoticeLine:
    """One line of the one-time notice: a material asked for once, however many matters need it."""

    material: str  # material code
    name: str
    originals: int = 0
    copies: int = 0
    required: bool = False
    core: bool = False
    deferrable: bool = True
    pledgeable: bool = True
    notes: list[str] = field(default_factory=list)
    matters: list[str] = field(default_factory=list)  # matter codes, in the order first met
    matter_names: list[str] = field(default_factory=list)


def merged_materials(matter_list: list[Matter]) -> list[NoticeLine]:
    """Merge the materials of several matters into one list (一套材料).

    A material needed by several matters appears once, with the highest original and copy counts.
    It is required if any matter requires it, core if core for any, and may be deferred or pledged
    only if every matter that requires it allows that.
    """
    lines: dict[str, NoticeLine] = {}
    ids = [m.pk for m in matter_list]
    reqs = (
        MatterMaterial.objects.filter(matter_id__in=ids)
        .select_related("material", "matter")
    )
    by_matter: dict[int, list[MatterMaterial]] = {}
    for req in reqs:
        by_matter.setdefault(req.matter_id, []).append(req)
    for matter in matter_list:
        for req in sorted(by_matter.get(matter.pk, []), key=lambda r: (r.order, r.pk)):
            line = lines.get(req.material.code)
            if line is None:
                line = lines[req.material.code] = NoticeLine(material=req.material.code, name=req.material.name)
            line.originals = max(line.originals, req.originals)
            line.copies = max(line.copies, req.copies)
            line.core = line.core or req.core
            if req.required:
                line.required = True
                line.deferrable = line.deferrable and req.deferrable
                line.pledgeable = line.pledgeable and req.pledgeable
            if req.notes and req.notes not in line.notes:
                line.notes.append(req.notes)
            if matter.code not in line.matters:
                line.matters.append(matter.code)
                line.matter_names.append(matter.name)
    result = list(lines.values())
    for line in result:
        if not line.required:  # optional everywhere: nothing to defer or pledge
            line.deferrable = line.pledgeable = False
    return result
