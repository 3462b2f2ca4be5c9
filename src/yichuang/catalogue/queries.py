"""Reads of the catalogue shared by the guide pages, the API and (later) intake."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models import Window as Over

from yichuang.organisation.models import Department, Site, Window, Zone

from . import search as search_module
from .models import Bundle, BundleItem, LifeEvent, Matter, MatterMaterial


def matters(
    query="",
    zone: str | None = None,
    department: str | None = None,
    life_event: str | None = None,
    include_inactive: bool = False,
) -> QuerySet:
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


# What a list of matters shows (name, department, limit, tags). Long texts (conditions, procedure, legal
# basis, search text) stay in the database. The department comes by a prefetch, not a join: joined, SQLite
# walks the departments and fetches matters through the department index one by one, twice as slow as one
# scan of the matters.
SUMMARY_FIELDS = (
    "code", "name", "kind", "department", "limit_unit", "legal_limit", "promised_limit", "fee", "online", "visits",
    "delegated", "specialized_only", "status",
)  # fmt: skip


def matter_summaries(query="", **filters) -> QuerySet:
    """matters(query, **filters) with only the fields a result list shows: what the guide's lists run."""
    return (
        matters(query, **filters)
        .select_related(None)
        .only(*SUMMARY_FIELDS)
        .prefetch_related(Prefetch("department", queryset=Department.objects.only("code", "name")))
    )


def search_page(query, limit: int = 50) -> tuple[list[Matter], int]:
    """What the guide's search shows: the first `limit` matches and how many there are in all. `query` is the
    text typed or, when the page also lists bundles, the same query understood once (search.understood).

    The total comes from a window count in the same statement: one scan of the matters, not two."""
    results = list(matter_summaries(query).annotate(_total=Over(Count("pk")))[:limit])
    return results, (results[0]._total if results else 0)


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
    return (
        Bundle.objects.select_related("zone", "life_event")
        .prefetch_related("items__matter")
        .exclude(status=Matter.Status.CANCELLED)
    )


def matching_bundles(query) -> list[Bundle]:
    """Bundles found by the same rules as matters (there are few: matched in Python): those meeting the most
    concepts of the query, by name, code, description, pinyin or theme; the most concepts first."""
    understood = search_module.understood(query)
    if not understood.concepts:
        return []
    scored = [
        (search_module.text_hits(search_module.bundle_search_text(b), understood, b.life_event_id), b)
        for b in bundles()
    ]
    best = max((hits for hits, _b in scored), default=0)
    return [b for hits, b in sorted(scored, key=lambda s: (-s[0], s[1].code)) if hits and hits == best]


def bundle_detail(code: str) -> Bundle:
    """A bundle (not cancelled) with its zone's windows and its matters in order; raises Bundle.DoesNotExist."""
    return (
        Bundle.objects.exclude(status=Matter.Status.CANCELLED)
        .select_related("zone__site", "life_event")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=BundleItem.objects.select_related("matter__department").order_by("order", "id"),
            ),
            Prefetch("zone__windows", queryset=Window.objects.order_by("number")),
        )
        .get(code=code)
    )


def default_site() -> Site | None:
    """The hall whose name and phone head the printed notices."""
    return Site.objects.filter(is_default=True).first() or Site.objects.order_by("code").first()


def zones() -> QuerySet:
    """Zones with the number of matters (not cancelled) they take in, site by site (default site first)."""
    return (
        Zone.objects.select_related("site", "lead_department")
        .annotate(matter_count=Count("matters", filter=Q(matters__status__in=_active_statuses()), distinct=True))
        .order_by("-site__is_default", "site__code", "order", "code")
    )


def departments() -> QuerySet:
    return Department.objects.annotate(
        matter_count=Count("matters", filter=Q(matters__status__in=_active_statuses()), distinct=True)
    ).order_by("code")


def life_events() -> QuerySet:
    return LifeEvent.objects.annotate(
        matter_count=Count("matters", filter=Q(matters__status__in=_active_statuses()), distinct=True),
        bundle_count=Count("bundles", filter=Q(bundles__status__in=_active_statuses()), distinct=True),
    )


def _active_statuses() -> list[str]:
    return [s for s in Matter.Status.values if s != Matter.Status.CANCELLED]


@dataclass
class Place:
    """Where a matter is taken in: a zone and the open windows there that take it in."""

    zone: Zone
    windows: list[Window]


def where_to_apply(matter: Matter) -> list[Place]:
    """The zones whose intake windows take the matter in (any of them: 无差别受理), or, for a matter taken in
    only at its department's specialized window, the zones holding such windows."""
    if matter.specialized_only:
        windows = (
            Window.objects.filter(kind=Window.Kind.SPECIALIZED, department_id=matter.department_id, is_open=True)
            .select_related("zone__site")
            .order_by("-zone__site__is_default", "zone__site__code", "number")
        )
    else:
        windows = (
            Window.objects.filter(kind=Window.Kind.INTAKE, is_open=True, zone__in=matter.zones.all())
            .select_related("zone__site")
            .order_by("-zone__site__is_default", "zone__site__code", "number")
        )
    places: dict[int, Place] = {}
    for window in windows:
        places.setdefault(window.zone_id, Place(window.zone, [])).windows.append(window)
    if not matter.specialized_only:
        # A zone of the matter without an open intake window still tells the person where to go.
        for zone in matter.zones.select_related("site").order_by("-site__is_default", "site__code", "order"):
            places.setdefault(zone.pk, Place(zone, []))
    return list(places.values())


def bundle_place(bundle: Bundle) -> Place:
    windows = [w for w in bundle.zone.windows.all() if w.kind == Window.Kind.INTAKE and w.is_open]
    return Place(bundle.zone, sorted(windows, key=lambda w: w.number))


@dataclass
class WindowScope:
    """The published intake scope of one zone (对外公开综合窗口受理事项范围)."""

    zone: Zone
    windows: list[Window]
    matters: list[Matter]


def window_scopes() -> list[WindowScope]:
    """Per zone: its comprehensive intake windows and the matters in use they take in (any of them takes any).

    Matters taken in only at a specialized window are not in a comprehensive window's scope."""
    zone_list = (
        Zone.objects.select_related("site")
        .prefetch_related(
            Prefetch(
                "windows",
                queryset=Window.objects.filter(kind=Window.Kind.INTAKE).order_by("number"),
                to_attr="intake_windows",
            ),
            Prefetch(
                "matters",
                queryset=Matter.objects.in_use()
                .filter(specialized_only=False)
                .select_related("department")
                .order_by("department__code", "code"),
                to_attr="scope_matters",
            ),
        )
        .order_by("-site__is_default", "site__code", "order", "code")
    )
    return [
        WindowScope(zone, zone.intake_windows, zone.scope_matters)
        for zone in zone_list
        if zone.intake_windows or zone.scope_matters
    ]


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

    @property
    def needed_by(self) -> list[tuple[str, str]]:
        """(code, name) of each matter that needs this material."""
        return list(zip(self.matters, self.matter_names, strict=True))


def merged_materials(matter_list: list[Matter]) -> list[NoticeLine]:
    """Merge the materials of several matters into one list (一套材料).

    A material needed by several matters appears once, with the highest original and copy counts.
    It is required if any matter requires it, core if core for any, and may be deferred or pledged
    only if every matter that requires it allows that.
    """
    lines: dict[str, NoticeLine] = {}
    ids = [m.pk for m in matter_list]
    reqs = MatterMaterial.objects.filter(matter_id__in=ids).select_related("material", "matter")
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
