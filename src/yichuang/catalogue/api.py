"""The public catalogue API: matters, bundles and their one-time notices (no authentication).

Reads go through catalogue.queries, the same functions as the guide pages. Decimal values (time
limits, fees) are JSON strings with a fixed number of decimals ("0.5", "20.0", "12.00"), so that no
client ever sees a binary float; each field says so in the OpenAPI schema.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from ninja import Field, Query, Router, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from yichuang.core.schemas import ErrorOut, InvalidOut
from yichuang.organisation.models import Zone

from . import queries
from .models import Audience, Bundle, LimitUnit, Matter

router = Router(tags=["catalogue"])

CODE_RE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# What the filters accept, for the OpenAPI schema only: the validators below give the reasons people read.
CODE_PATTERN = r"^\s*[A-Za-z0-9_.-]*\s*$"
SEARCH_PATTERN = r"^[^\x00-\x1f]*$"
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000

LimitUnitName = Literal[tuple(LimitUnit.values)]
MatterKind = Literal[tuple(Matter.Kind.values)]
MatterStatus = Literal[tuple(Matter.Status.values)]
AudienceName = Literal[tuple(Audience.values)]

LIMIT_DOC = 'Decimal as a string with one decimal place ("0.5", "20.0"); "0.0" for an instant matter.'


def _one_decimal(value: Decimal) -> str:
    return f"{value:.1f}"


# --- Schemas ---------------------------------------------------------------------------------------


class MatterOut(Schema):
    code: str = Field(description="事项编码")
    name: str
    department: str = Field(description="Code of the owning department.")
    department_name: str
    kind: MatterKind
    limit_unit: LimitUnitName
    legal_limit: str = Field(description=LIMIT_DOC, examples=["20.0"])
    promised_limit: str = Field(description=LIMIT_DOC, examples=["0.5"])
    online: bool
    status: MatterStatus
    zones: list[str] = Field(description="Codes of the zones whose intake windows take this matter in.")

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_department_name(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_legal_limit(obj) -> str:
        return _one_decimal(obj.legal_limit)

    @staticmethod
    def resolve_promised_limit(obj) -> str:
        return _one_decimal(obj.promised_limit)

    @staticmethod
    def resolve_zones(obj) -> list[str]:
        return [zone.code for zone in obj.zones.all()]


class MatterPage(Schema):
    items: list[MatterOut]
    count: int = Field(description="Number of matching matters, ignoring limit and offset.")


class RequirementOut(Schema):
    material: str = Field(description="Material code (shared dictionary).")
    name: str
    required: bool
    core: bool = Field(description="Core material: never deferrable.")
    originals: int
    copies: int
    deferrable: bool = Field(description="May be supplied later (容缺).")
    pledgeable: bool = Field(description="May be replaced by a signed pledge (告知承诺).")
    notes: str

    @staticmethod
    def resolve_material(obj) -> str:
        return obj.material.code

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.material.name


class MatterDetail(MatterOut):
    audience: AudienceName
    fee: str = Field(description='Fee in yuan, decimal as a string with two decimal places ("0.00").')
    fee_note: str
    visits: int = Field(description="Visits to the hall needed.")
    delegated: bool = Field(description="Received by the comprehensive windows for a delegated department.")
    specialized_only: bool
    conditions: str
    procedure: str
    legal_basis: str
    life_events: list[str] = Field(description="Life event codes.")
    updated_at: datetime
    materials: list[RequirementOut]

    @staticmethod
    def resolve_fee(obj) -> str:
        return f"{obj.fee:.2f}"

    @staticmethod
    def resolve_life_events(obj) -> list[str]:
        return [event.code for event in obj.life_events.all()]

    @staticmethod
    def resolve_materials(obj) -> list:
        return list(obj.requirements.all())


class BundleOut(Schema):
    code: str
    name: str
    zone: str = Field(description="Code of the zone that takes the bundle in.")
    limit_unit: LimitUnitName
    limit: str = Field(description="Bundle time limit. " + LIMIT_DOC, examples=["0.5"])
    matters: list[str] = Field(description="Matter codes, in bundle order.")

    @staticmethod
    def resolve_zone(obj) -> str:
        return obj.zone.code

    @staticmethod
    def resolve_limit(obj) -> str:
        return _one_decimal(obj.limit)

    @staticmethod
    def resolve_matters(obj) -> list[str]:
        return [item.matter.code for item in obj.items.all()]


class BundleDetail(BundleOut):
    description: str
    zone_name: str
    life_event: str | None = Field(description="Life event code, if any.")
    status: MatterStatus
    items: list[MatterOut] = Field(description="The bundle's matters, in bundle order.")

    @staticmethod
    def resolve_zone_name(obj) -> str:
        return obj.zone.name

    @staticmethod
    def resolve_life_event(obj) -> str | None:
        return obj.life_event.code if obj.life_event_id else None

    @staticmethod
    def resolve_items(obj) -> list:
        return [item.matter for item in obj.items.all()]


class NoticeLineOut(Schema):
    material: str = Field(description="Material code.")
    name: str
    originals: int = Field(description="Highest count over the matters that need it.")
    copies: int = Field(description="Highest count over the matters that need it.")
    required: bool = Field(description="Required by at least one matter.")
    core: bool
    deferrable: bool = Field(description="Deferrable only if every matter requiring it allows it.")
    pledgeable: bool = Field(description="Pledgeable only if every matter requiring it allows it.")
    notes: list[str]
    matters: list[str] = Field(description="Codes of the matters that ask for this material.")


class NoticeOut(Schema):
    """The one-time notice (一次性告知): each material asked for once."""

    materials: list[NoticeLineOut]


class MatterFilters(Schema):
    search: str = Field(
        "",
        max_length=100,
        description=(
            "Everyday words or a question (Chinese, pinyin or initials), in any order; question words are ignored "
            "and the hall's synonyms applied. When some matters meet every word, only those; else the best partial "
            "matches, best first. "
            "No control characters."
        ),
        json_schema_extra={"pattern": SEARCH_PATTERN},
    )
    zone: str = Field("", max_length=40, description="Zone code.", json_schema_extra={"pattern": CODE_PATTERN})
    department: str = Field(
        "", max_length=40, description="Department code.", json_schema_extra={"pattern": CODE_PATTERN}
    )
    life_event: str = Field(
        "", max_length=40, description="Life event code.", json_schema_extra={"pattern": CODE_PATTERN}
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Number of matters to skip.")

    @field_validator("search")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise PydanticCustomError("control_character", "search must not contain control characters")
        return value.strip()

    @field_validator("zone", "department", "life_event")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip()
        if value and not CODE_RE.fullmatch(value):
            raise PydanticCustomError("code", "a code has only letters, digits, '.', '_' and '-'")
        return value


# --- Lookups ---------------------------------------------------------------------------------------


def _checked_code(code: str, what: str) -> str:
    # A code that cannot exist (e.g. with a NUL byte, which PostgreSQL refuses) is simply unknown.
    if not CODE_RE.fullmatch(code):
        raise Http404(f"unknown {what}: the code has characters no {what} code has")
    return code


def _matter(code: str) -> Matter:
    try:
        return queries.matter_detail(_checked_code(code, "matter"))
    except Matter.DoesNotExist:
        raise Http404(f"unknown matter: {code}") from None


def _bundle(code: str) -> Bundle:
    try:
        return queries.bundles().get(code=_checked_code(code, "bundle"))
    except Bundle.DoesNotExist:
        raise Http404(f"unknown bundle: {code}") from None


_ZONE_CODES = Prefetch("zones", queryset=Zone.objects.only("id", "code"))


# --- Endpoints -------------------------------------------------------------------------------------


@router.get("/matters", response={200: MatterPage, 422: InvalidOut}, summary="Search the matters (事项)")
def list_matters(request, filters: Query[MatterFilters]):
    """Matters not cancelled, best matches first when searching; the same query as the guide page."""
    qs = queries.matters(
        filters.search,
        zone=filters.zone or None,
        department=filters.department or None,
        life_event=filters.life_event or None,
    )
    page = list(qs.prefetch_related(_ZONE_CODES)[filters.offset : filters.offset + filters.limit])
    return {"items": page, "count": qs.count()}


@router.get("/matters/{code}", response={200: MatterDetail, 404: ErrorOut}, summary="One matter with its materials")
def get_matter(request, code: str):
    """The full service guide of a matter; a cancelled matter is still shown, with its status."""
    return _matter(code)


@router.get("/matters/{code}/notice", response={200: NoticeOut, 404: ErrorOut}, summary="One-time notice of a matter")
def matter_notice(request, code: str):
    return {"materials": queries.merged_materials([_matter(code)])}


@router.get("/bundles", response=list[BundleOut], summary="The bundles (一件事)")
def list_bundles(request):
    return list(queries.bundles())


@router.get("/bundles/{code}", response={200: BundleDetail, 404: ErrorOut}, summary="One bundle with its matters")
def get_bundle(request, code: str):
    bundle = _bundle(code)
    prefetch_related_objects([item.matter for item in bundle.items.all()], "department", _ZONE_CODES)
    return bundle


@router.get(
    "/bundles/{code}/notice", response={200: NoticeOut, 404: ErrorOut}, summary="One-time notice of a bundle (一套材料)"
)
def bundle_notice(request, code: str):
    """The merged material list of all the bundle's matters: each material asked for once."""
    bundle = _bundle(code)
    return {"materials": queries.merged_materials([item.matter for item in bundle.items.all()])}
