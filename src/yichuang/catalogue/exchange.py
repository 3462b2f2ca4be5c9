"""Import and export of the catalogue (实施清单) as .xlsx or YAML (format `yichuang-catalogue/1`).

Both formats carry the same records: life events, materials, matters (each with its ordered materials, its
zones and life events), bundles (each with its ordered matters) and the search's synonyms (phrase, words).
YAML: one mapping with the keys `format`, `life_events`, `materials`, `matters` (each with a `materials`
list), `bundles` (each with a `matters` list), `synonyms`, record keys in the order of the *_FIELDS lists
below. xlsx: the sheets 主题, 材料, 事项, 事项材料 (matter, material, …; rows in order), 一件事, 一件事事项
(bundle, matter; rows in order), 检索同义词; row 1 holds the field keys; booleans are 是/否, code lists are
joined by ",". Decimals are text in both ("0.5", "20"). Departments and zones are referred to by code and
must exist already. Synonyms are keyed by their phrase (normalised as the search normalises a query); a file
written before synonyms existed (no such section or sheet) still imports.

Export writes every object, lists sorted by code, decimals in one canonical form, so that export → import →
export gives the same YAML bytes and the same xlsx cell contents.

Import checks the whole file first and collects every problem (sheet/section, row, column, message); if
there is any, it raises `CatalogueImportError` and changes nothing. Otherwise it applies the file in one
transaction:

- objects are matched by code: created when new, updated when different, left untouched when equal;
- a matter's materials, zones and life events, and a bundle's matters, are replaced to match the file
  exactly (a material row kept by the file keeps its uploaded blank form and sample);
- a key or column left out of a record means the model's default (the file describes whole records);
- life events, materials, matters, bundles and synonyms that are **not in the file are left alone** (never deleted):
  a file may describe part of the catalogue.

One audit event (`catalogue.import`) records the counts. Importing the same file twice changes nothing the
second time.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.organisation.models import Department, Zone

from .models import Audience, Bundle, BundleItem, LifeEvent, LimitUnit, Material, Matter, MatterMaterial, Synonym
from .understand import normalise

FORMAT_MARKER = "yichuang-catalogue/1"
FORMATS = ("yaml", "xlsx")
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}
CONTENT_TYPES = {
    "yaml": "application/yaml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The kinds counted by an import, in the order of the file, with the words people read.
KINDS = ("life_events", "materials", "matters", "bundles", "synonyms")
KIND_LABELS = {
    "life_events": "主题", "materials": "材料", "matters": "事项", "bundles": "一件事", "synonyms": "检索同义词",
}  # fmt: skip

# Sheets of the workbook, in order: (sheet name, section) — rows of the two link sheets belong to a parent.
SHEETS = {
    "life_events": "主题",
    "materials": "材料",
    "matters": "事项",
    "requirements": "事项材料",
    "bundles": "一件事",
    "bundle_items": "一件事事项",
    "synonyms": "检索同义词",
}
# Sheets a workbook may lack: it was written before they existed.
OPTIONAL_SHEETS = {"synonyms"}

# Problems are listed file first, then sheet by sheet (xlsx sheet names and YAML sections alike).
_SHEET_RANK = {
    name: rank
    for rank, names in enumerate(
        [("文件", "format"), ("主题", "life_events"), ("材料", "materials"), ("事项", "matters"), ("事项材料",),
         ("一件事", "bundles"), ("一件事事项",), ("检索同义词", "synonyms")]
    )
    for name in names
}  # fmt: skip

TRUE_WORDS = {"是": True, "否": False, "true": True, "false": False}

# Characters no worksheet can hold (openpyxl refuses them); they are never part of a real catalogue.
_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LIST_SPLIT = re.compile(r"[,，、\s]+")


# --- Field specifications ---------------------------------------------------------------------------
# (key, type, required). Types: code, text, enum:<choices>, int, decimal, bool, codes (list), ref (code or null).


@dataclass(frozen=True)
class Spec:
    key: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None


def _choices(choices) -> tuple[str, ...]:
    return tuple(value for value, _label in choices)


def _default(model, name):
    return model._meta.get_field(name).get_default()


LIFE_EVENT_FIELDS = [
    Spec("code", "code", True),
    Spec("name", "text", True),
    Spec("audience", "enum", choices=_choices(Audience.choices), default=_default(LifeEvent, "audience")),
    Spec("order", "int", default=_default(LifeEvent, "order")),
]
MATERIAL_FIELDS = [
    Spec("code", "code", True),
    Spec("name", "text", True),
    Spec("description", "text", default=""),
    Spec("issuer", "text", default=""),
]
MATTER_FIELDS = [
    Spec("code", "code", True),
    Spec("name", "text", True),
    Spec("kind", "enum", True, choices=_choices(Matter.Kind.choices)),
    Spec("department", "code", True),
    Spec("zones", "codes", default=()),
    Spec("audience", "enum", choices=_choices(Audience.choices), default=_default(Matter, "audience")),
    Spec("life_events", "codes", default=()),
    Spec("limit_unit", "enum", True, choices=_choices(LimitUnit.choices)),
    Spec("legal_limit", "decimal", default=_default(Matter, "legal_limit")),
    Spec("promised_limit", "decimal", default=_default(Matter, "promised_limit")),
    Spec("fee", "decimal", default=_default(Matter, "fee")),
    Spec("fee_note", "text", default=""),
    Spec("online", "bool", default=_default(Matter, "online")),
    Spec("visits", "int", default=_default(Matter, "visits")),
    Spec("delegated", "bool", default=_default(Matter, "delegated")),
    Spec("specialized_only", "bool", default=_default(Matter, "specialized_only")),
    Spec("status", "enum", choices=_choices(Matter.Status.choices), default=_default(Matter, "status")),
    Spec("conditions", "text", default=""),
    Spec("procedure", "text", default=""),
    Spec("legal_basis", "text", default=""),
    Spec("keywords", "text", default=""),
    Spec("implementation_code", "text", default=""),  # 实施编码 (GB/T 39554.1), from the province's 实施清单
    Spec("basic_code", "text", default=""),  # 基本编码
]
REQUIREMENT_FIELDS = [
    Spec("material", "code", True),
    Spec("required", "bool", default=_default(MatterMaterial, "required")),
    Spec("core", "bool", default=_default(MatterMaterial, "core")),
    Spec("originals", "int", default=_default(MatterMaterial, "originals")),
    Spec("copies", "int", default=_default(MatterMaterial, "copies")),
    Spec("deferrable", "bool", default=_default(MatterMaterial, "deferrable")),
    Spec("pledgeable", "bool", default=_default(MatterMaterial, "pledgeable")),
    Spec("notes", "text", default=""),
]
BUNDLE_FIELDS = [
    Spec("code", "code", True),
    Spec("name", "text", True),
    Spec("description", "text", default=""),
    Spec("zone", "code", True),
    Spec("life_event", "ref", default=None),
    Spec("limit_unit", "enum", True, choices=_choices(LimitUnit.choices)),
    Spec("limit", "decimal", default=_default(Bundle, "limit")),
    Spec("status", "enum", choices=_choices(Matter.Status.choices), default=_default(Bundle, "status")),
]
SYNONYM_FIELDS = [Spec("phrase", "text", True), Spec("words", "text", True)]
# The link sheets of the workbook: the parent's code first.
REQUIREMENT_SHEET_FIELDS = [Spec("matter", "code", True), *REQUIREMENT_FIELDS]
BUNDLE_ITEM_SHEET_FIELDS = [Spec("bundle", "code", True), Spec("matter", "code", True)]

SHEET_FIELDS = {
    "life_events": LIFE_EVENT_FIELDS,
    "materials": MATERIAL_FIELDS,
    "matters": MATTER_FIELDS,
    "requirements": REQUIREMENT_SHEET_FIELDS,
    "bundles": BUNDLE_FIELDS,
    "bundle_items": BUNDLE_ITEM_SHEET_FIELDS,
    "synonyms": SYNONYM_FIELDS,
}
# The YAML keys of each section, in order (the nested lists last, as in the format).
YAML_KEYS = {
    "life_events": [s.key for s in LIFE_EVENT_FIELDS],
    "materials": [s.key for s in MATERIAL_FIELDS],
    "matters": [s.key for s in MATTER_FIELDS] + ["materials"],
    "requirements": [s.key for s in REQUIREMENT_FIELDS],
    "bundles": [s.key for s in BUNDLE_FIELDS] + ["matters"],
    "synonyms": [s.key for s in SYNONYM_FIELDS],
}


# --- Problems and reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file.

    sheet: the xlsx sheet (主题, 事项 …) or the YAML section (matters …); row: the xlsx row number or the
    1-based YAML item index (None for the file as a whole); code: the record's code when known;
    column: the field key (for nested YAML lists e.g. `materials.2.core`); message: in Chinese.
    """

    sheet: str
    row: int | None
    column: str
    message: str
    code: str = ""

    @property
    def row_display(self) -> str:
        if self.row is None:
            return "-"
        return f"{self.row} ({self.code})" if self.code else str(self.row)

    def __str__(self) -> str:
        return f"{self.sheet} 行 {self.row_display} 列 {self.column or '-'}: {self.message}"


class CatalogueImportError(Exception):
    """The import file has problems; nothing was changed. `problems` lists all of them."""

    def __init__(self, problems: list[Problem]):
        # In the order of the file: sheet by sheet, row by row (within a row, in the order found).
        self.problems = sorted(problems, key=lambda p: (_SHEET_RANK.get(p.sheet, 0), p.row or 0))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ImportReport:
    """What an import did: per kind (life_events, materials, matters, bundles) created/updated/unchanged."""

    format: str
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in KINDS}
    )

    @property
    def changed(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    def rows(self) -> list[dict]:
        return [{"kind": kind, "label": _(KIND_LABELS[kind]), **self.counts[kind]} for kind in KINDS]

    def summary(self) -> str:
        return "；".join(
            _("%(label)s 新增 %(created)d、更新 %(updated)d、未变 %(unchanged)d") % row for row in self.rows()
        )


# --- Canonical values -------------------------------------------------------------------------------


def canonical_decimal(value: Decimal) -> str:
    """One text form per number: no exponent, no trailing zeros ("20", "0.5", "3.5", "0")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def canonical_text(value: str | None) -> str:
    """Line breaks as "\\n", no control characters, blank as "": the same on export and import."""
    text = _ILLEGAL_CHARS.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return text if text.strip() else ""


def _life_event_record(event: LifeEvent) -> dict:
    return {"code": event.code, "name": canonical_text(event.name), "audience": event.audience, "order": event.order}


def _material_record(material: Material) -> dict:
    return {
        "code": material.code,
        "name": canonical_text(material.name),
        "description": canonical_text(material.description),
        "issuer": canonical_text(material.issuer),
    }


def _requirement_record(req: MatterMaterial) -> dict:
    return {
        "material": req.material.code,
        "required": req.required,
        "core": req.core,
        "originals": req.originals,
        "copies": req.copies,
        "deferrable": req.deferrable,
        "pledgeable": req.pledgeable,
        "notes": canonical_text(req.notes),
    }


def _matter_record(matter: Matter) -> dict:
    """Uses prefetched zones, life_events and requirements__material when present."""
    requirements = sorted(matter.requirements.all(), key=lambda r: (r.order, r.pk))
    return {
        "code": matter.code,
        "name": canonical_text(matter.name),
        "kind": matter.kind,
        "department": matter.department.code,
        "zones": sorted(z.code for z in matter.zones.all()),
        "audience": matter.audience,
        "life_events": sorted(e.code for e in matter.life_events.all()),
        "limit_unit": matter.limit_unit,
        "legal_limit": canonical_decimal(matter.legal_limit),
        "promised_limit": canonical_decimal(matter.promised_limit),
        "fee": canonical_decimal(matter.fee),
        "fee_note": canonical_text(matter.fee_note),
        "online": matter.online,
        "visits": matter.visits,
        "delegated": matter.delegated,
        "specialized_only": matter.specialized_only,
        "status": matter.status,
        "conditions": canonical_text(matter.conditions),
        "procedure": canonical_text(matter.procedure),
        "legal_basis": canonical_text(matter.legal_basis),
        "keywords": canonical_text(matter.keywords),
        "implementation_code": matter.implementation_code,
        "basic_code": matter.basic_code,
        "materials": [_requirement_record(r) for r in requirements],
    }


def _bundle_record(bundle: Bundle) -> dict:
    """Uses prefetched items__matter when present."""
    items = sorted(bundle.items.all(), key=lambda i: (i.order, i.pk))
    return {
        "code": bundle.code,
        "name": canonical_text(bundle.name),
        "description": canonical_text(bundle.description),
        "zone": bundle.zone.code,
        "life_event": bundle.life_event.code if bundle.life_event_id else None,
        "limit_unit": bundle.limit_unit,
        "limit": canonical_decimal(bundle.limit),
        "status": bundle.status,
        "matters": [item.matter.code for item in items],
    }


def _synonym_record(synonym: Synonym) -> dict:
    return {"phrase": synonym.phrase, "words": canonical_text(synonym.words)}


def _matters_qs():
    return Matter.objects.select_related("department").prefetch_related(
        "zones", "life_events", "requirements__material"
    )


def _bundles_qs():
    return Bundle.objects.select_related("zone", "life_event").prefetch_related("items__matter")


def catalogue_records() -> dict[str, list[dict]]:
    """The whole catalogue as records, each list sorted by code — what export writes."""
    return {
        "life_events": [_life_event_record(e) for e in LifeEvent.objects.order_by("code")],
        "materials": [_material_record(m) for m in Material.objects.order_by("code")],
        "matters": [_matter_record(m) for m in _matters_qs().order_by("code")],
        "bundles": [_bundle_record(b) for b in _bundles_qs().order_by("code")],
        "synonyms": [_synonym_record(s) for s in Synonym.objects.order_by("phrase")],
    }


# --- Export -----------------------------------------------------------------------------------------


def detect_format(path_or_stream, fmt: str | None = None) -> str:
    """The format asked for, else the one named by the file's suffix; ValueError when neither is known."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        fmt = "yaml" if fmt == "yml" else fmt
        if fmt not in FORMATS:
            raise ValueError(_("不支持的格式“%(fmt)s”，应为 xlsx 或 yaml。") % {"fmt": fmt})
        return fmt
    name = path_or_stream if isinstance(path_or_stream, str | os.PathLike) else getattr(path_or_stream, "name", "")
    suffix = Path(str(name or "")).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(_("无法从文件名判断格式，请使用 .xlsx、.yaml 或 .yml 文件。"))
    return SUFFIXES[suffix]


def export_catalogue(path_or_stream, fmt: str | None = None) -> dict[str, int]:
    """Write the whole catalogue to a path or a binary stream; returns how many records of each kind."""
    fmt = detect_format(path_or_stream, fmt)
    records = catalogue_records()
    data = _yaml_bytes(records) if fmt == "yaml" else _xlsx_bytes(records)
    if isinstance(path_or_stream, str | os.PathLike):
        Path(path_or_stream).write_bytes(data)
    elif isinstance(path_or_stream, io.TextIOBase):
        path_or_stream.write(data.decode("utf-8"))
    else:
        path_or_stream.write(data)
    return {kind: len(records[kind]) for kind in KINDS}


# libyaml's loader when PyYAML has it (about five times faster), else the pure-Python one; both are safe.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FlowMap(dict):
    pass


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    """Block sequences indented under their key, as in the format's example."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, data):
    # Multi-line text as a literal block; YAML's other line breaks (NEL, LS, PS) only survive escaped.
    if any(ch in data for ch in "\x85\u2028\u2029"):
        style = '"'
    elif "\n" in data:
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _FlowMap, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", list(data.items()), flow_style=True)
)
_Dumper.add_representer(_FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))


def _yaml_bytes(records: dict[str, list[dict]]) -> bytes:
    doc = {
        "format": FORMAT_MARKER,
        "life_events": [_FlowMap(r) for r in records["life_events"]],
        "materials": [_FlowMap(r) for r in records["materials"]],
        "matters": [
            {
                **{k: _FlowList(v) if k in ("zones", "life_events") else v for k, v in r.items() if k != "materials"},
                "materials": [_FlowMap(m) for m in r["materials"]],
            }
            for r in records["matters"]
        ],
        "bundles": [{**r, "matters": _FlowList(r["matters"])} for r in records["bundles"]],
        "synonyms": [_FlowMap(r) for r in records["synonyms"]],
    }
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10**9,
        encoding="utf-8",
    )


def _cell(spec: Spec, value):
    """A record value as the workbook holds it: booleans 是/否, code lists joined by ",", decimals as text."""
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type == "codes":
        return ",".join(value) or None
    if value == "":
        return None
    return value


def _xlsx_bytes(records: dict[str, list[dict]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows: dict[str, list[dict]] = {
        "life_events": records["life_events"],
        "materials": records["materials"],
        "matters": records["matters"],
        "requirements": [{"matter": m["code"], **req} for m in records["matters"] for req in m["materials"]],
        "bundles": records["bundles"],
        "bundle_items": [{"bundle": b["code"], "matter": code} for b in records["bundles"] for code in b["matters"]],
        "synonyms": records["synonyms"],
    }
    wb = Workbook()
    wb.remove(wb.active)
    for section, title in SHEETS.items():
        ws = wb.create_sheet(title)
        specs = SHEET_FIELDS[section]
        ws.append([s.key for s in specs])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for record in rows[section]:
            ws.append([_cell(s, record[s.key]) for s in specs])
        # Text that looks like a formula stays text.
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
        for index, spec in enumerate(specs, start=1):
            width = {"text": 30, "codes": 24, "code": 18}.get(spec.type, 12)
            ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Reading ----------------------------------------------------------------------------------------


@dataclass
class _Item:
    """One record as read from the file, with where it came from."""

    sheet: str
    row: int | None
    raw: dict[str, Any]
    prefix: str = ""  # YAML nested lists: "materials.2."
    whole_column: str = ""  # YAML bundle matter lists: every key is the column "matters.3"
    parent: str = ""  # code of the matter/bundle it belongs to (link rows)

    @property
    def code(self) -> str:
        """The record's code, or parent/child codes for a link row (事项/材料, 一件事/事项)."""

        def text(key):
            value = self.raw.get(key)
            ok = isinstance(value, str | int) and not isinstance(value, bool)
            return str(value).strip() if ok else ""

        if text("code"):
            return text("code")
        if text("phrase"):  # a synonym
            return text("phrase")
        if self.parent:
            child = text("material") or text("matter")
            return f"{self.parent}/{child}" if child else self.parent
        for parent, child in (("bundle", "matter"), ("matter", "material")):
            if parent in self.raw:
                return "/".join(c for c in (text(parent), text(child)) if c)
        return ""

    def column(self, key: str) -> str:
        return self.whole_column or f"{self.prefix}{key}"


@dataclass
class _Document:
    fmt: str
    life_events: list[_Item] = field(default_factory=list)
    materials: list[_Item] = field(default_factory=list)
    matters: list[_Item] = field(default_factory=list)
    requirements: list[_Item] = field(default_factory=list)  # raw["matter"] names the matter
    bundles: list[_Item] = field(default_factory=list)
    bundle_items: list[_Item] = field(default_factory=list)  # raw["bundle"], raw["matter"]
    synonyms: list[_Item] = field(default_factory=list)


def _read_bytes(path_or_stream) -> bytes:
    if isinstance(path_or_stream, str | os.PathLike):
        return Path(path_or_stream).read_bytes()
    if hasattr(path_or_stream, "seek"):
        try:
            path_or_stream.seek(0)
        except (OSError, ValueError):
            pass
    data = path_or_stream.read()
    return data.encode("utf-8") if isinstance(data, str) else data


FILE = "文件"


# The format nests five levels deep (file → matters → matter → materials → material); much deeper is no
# catalogue, and PyYAML's libyaml loader builds nested nodes recursively on the C stack: a file nested some
# ten thousand levels deep would crash the server process (a segmentation fault, not an exception).
MAX_YAML_DEPTH = 20
# Aliases (`*name`, as yaml.safe_dump writes for a list shared by two records) repeat a node without
# repeating its text: nine lines can stand for a billion values. A 10 MB file without aliases holds fewer
# than five million nodes; a file that stands for more is refused before anything is built from it.
MAX_YAML_NODES = 5_000_000


def _yaml_shape_problem(text: str) -> str | None:
    """Why the YAML text cannot be a catalogue, judged from its event stream (libyaml's parser keeps its own
    stack, so this is safe at any depth) before anything is built from it; None when it may be one."""
    sizes: dict[str, int] = {}  # anchor → number of nodes it stands for
    open_counts = [0]  # nodes counted so far in each open collection; the document at the bottom
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            open_counts[-1] += sizes.get(event.anchor, 1)
            if sum(open_counts) > MAX_YAML_NODES:
                return _("文件中的别名（*）展开后超过 %(max)d 个值，不是实施清单文件。") % {"max": MAX_YAML_NODES}
        elif isinstance(event, yaml.ScalarEvent):
            open_counts[-1] += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            open_counts.append(1)
            open_anchors.append(event.anchor)
            if len(open_anchors) > MAX_YAML_DEPTH:
                return _("嵌套层次过深（超过 %(max)d 层），不是实施清单文件。") % {"max": MAX_YAML_DEPTH}
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            count, anchor = open_counts.pop(), open_anchors.pop()
            if anchor:
                sizes[anchor] = count
            open_counts[-1] += count
    return None


def _read_yaml(data: bytes, problems: list[Problem]) -> _Document:
    doc = _Document("yaml")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(FILE, None, "", _("文件不是 UTF-8 编码的文本。")))
        return doc
    try:
        shape = _yaml_shape_problem(text)
        if shape:
            problems.append(Problem(FILE, None, "", shape))
            return doc
        content = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("（第 %(line)d 行）") % {"line": mark.line + 1} if mark else ""
        problems.append(
            Problem(
                FILE,
                None,
                "",
                _("YAML 格式错误%(where)s：%(error)s")
                % {"where": where, "error": getattr(exc, "problem", None) or exc},
            )
        )
        return doc
    if not isinstance(content, dict):
        problems.append(
            Problem(
                FILE, None, "", _("文件内容应为一个映射（format、life_events、materials、matters、bundles 等）。")
            )
        )
        return doc
    if content.get("format") != FORMAT_MARKER:
        problems.append(
            Problem(
                "format",
                None,
                "format",
                _("格式标记应为“%(marker)s”，文件中为“%(found)s”。")
                % {"marker": FORMAT_MARKER, "found": content.get("format", "")},
            )
        )
    for key in content:
        if key not in ("format", "life_events", "materials", "matters", "bundles", "synonyms"):
            problems.append(Problem(str(key), None, "", _("未知的部分“%(key)s”。") % {"key": key}))

    def section(name: str) -> list:
        value = content.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            problems.append(Problem(name, None, "", _("该部分应为列表。")))
            return []
        return value

    def item(name: str, index: int, value, keys: list[str], **extra) -> _Item | None:
        it = _Item(name, index, value if isinstance(value, dict) else {}, **extra)
        if not isinstance(value, dict):
            problems.append(Problem(name, index, it.column(""), _("每一项应为一个映射（键: 值）。"), it.code))
            return None
        for key in value:
            if key not in keys:
                problems.append(Problem(name, index, it.column(str(key)), _("未知的字段。"), it.code))
        return it

    for kind in ("life_events", "materials", "synonyms"):
        for index, value in enumerate(section(kind), start=1):
            if (it := item(kind, index, value, YAML_KEYS[kind])) is not None:
                getattr(doc, kind).append(it)
    for index, value in enumerate(section("matters"), start=1):
        it = item("matters", index, value, YAML_KEYS["matters"])
        if it is None:
            continue
        doc.matters.append(it)
        requirements = it.raw.get("materials")
        if requirements is None:
            continue
        if not isinstance(requirements, list):
            problems.append(Problem("matters", index, "materials", _("应为列表。"), it.code))
            continue
        parent = _text_or_empty(it.raw.get("code"))
        for sub, req in enumerate(requirements, start=1):
            r = item("matters", index, req, YAML_KEYS["requirements"], prefix=f"materials.{sub}.", parent=parent)
            # Without a code of its own the matter is reported already; its materials cannot be placed.
            if r is not None and parent:
                r.raw = {**r.raw, "matter": parent}
                doc.requirements.append(r)
    for index, value in enumerate(section("bundles"), start=1):
        it = item("bundles", index, value, YAML_KEYS["bundles"])
        if it is None:
            continue
        doc.bundles.append(it)
        matters = it.raw.get("matters")
        if matters is None:
            continue
        if not isinstance(matters, list):
            problems.append(Problem("bundles", index, "matters", _("应为事项编码的列表。"), it.code))
            continue
        parent = _text_or_empty(it.raw.get("code"))
        for sub, code in enumerate(matters if parent else [], start=1):
            doc.bundle_items.append(
                _Item(
                    "bundles", index, {"bundle": parent, "matter": code}, whole_column=f"matters.{sub}", parent=parent
                )
            )
    return doc


def _text_or_empty(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _read_xlsx(data: bytes, problems: list[Problem]) -> _Document:
    import zipfile
    import zlib

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    doc = _Document("xlsx")
    # What openpyxl raises on a damaged workbook, while opening it or (read-only mode parses lazily) while
    # reading a sheet: a zip that is not a workbook, broken XML (ParseError is a SyntaxError), bad values.
    damaged = (
        zipfile.BadZipFile, zlib.error, InvalidFileException, SyntaxError, KeyError, IndexError, ValueError,
        TypeError, AttributeError, EOFError, OSError,
    )  # fmt: skip

    def unreadable(exc) -> _Document:
        problems.append(Problem(FILE, None, "", _("不是有效的 xlsx 文件：%(error)s") % {"error": exc}))
        return _Document("xlsx")

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except damaged as exc:
        return unreadable(exc)
    found_before = len(problems)
    try:
        for section, title in SHEETS.items():
            if title not in wb.sheetnames:
                if section not in OPTIONAL_SHEETS:
                    problems.append(Problem(title, None, "", _("缺少工作表“%(title)s”。") % {"title": title}))
                continue
            specs = SHEET_FIELDS[section]
            keys = [s.key for s in specs]
            rows = wb[title].iter_rows(values_only=True)
            header = next(rows, None) or ()
            columns: dict[int, str] = {}
            for index, value in enumerate(header):
                name = str(value).strip() if value is not None else ""
                if not name:
                    continue
                if name not in keys:
                    problems.append(Problem(title, 1, name, _("未知的列“%(name)s”。") % {"name": name}))
                elif name in columns.values():
                    problems.append(Problem(title, 1, name, _("列“%(name)s”重复。") % {"name": name}))
                else:
                    columns[index] = name
            for spec in specs:
                if spec.required and spec.key not in columns.values():
                    problems.append(Problem(title, 1, spec.key, _("缺少必填列“%(name)s”。") % {"name": spec.key}))
            for number, values in enumerate(rows, start=2):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                raw = {}
                stray = []
                for index, value in enumerate(values):
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    if index in columns:
                        raw[columns[index]] = value
                    else:
                        stray.append(index)
                item = _Item(title, number, raw)
                for index in stray:
                    message = _("第 %(col)d 列有内容但没有表头。") % {"col": index + 1}
                    problems.append(Problem(title, number, "", message, item.code))
                getattr(doc, section).append(item)
    except damaged as exc:
        # Rows read before the damage are dropped with the rest: the file is reported as a whole.
        del problems[found_before:]
        return unreadable(exc)
    finally:
        wb.close()
    return doc


# --- Converting raw values --------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _to_text(value, fmt: str) -> str:
    if isinstance(value, str):
        if _ILLEGAL_CHARS.search(value):
            raise _Bad(_("含有不可见的控制字符。"))
        return canonical_text(value)
    if fmt == "xlsx" and isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if fmt == "xlsx":
        raise _Bad(_("应为文本。"))
    raise _Bad(_("应为文本（数字、true/false、日期等请加引号）。"))


def _to_code(value, fmt: str) -> str:
    text = _to_text(value, fmt).strip()
    if not text:
        raise _Bad(_("编码不能为空。"))
    return text


def _to_int(value, fmt: str) -> int:
    if isinstance(value, bool):
        raise _Bad(_("应为整数。"))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise _Bad(_("应为整数，文件中为“%(value)s”。") % {"value": value})


def _to_decimal(value, fmt: str) -> str:
    if isinstance(value, bool):
        raise _Bad(_("应为数字。"))
    if isinstance(value, int | float):
        value = repr(value)
    if not isinstance(value, str):
        raise _Bad(_("应为数字。"))
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise _Bad(_("应为数字（例如 “0.5”、“20”），文件中为“%(value)s”。") % {"value": value}) from None
    if not number.is_finite():
        raise _Bad(_("应为数字（例如 “0.5”、“20”），文件中为“%(value)s”。") % {"value": value})
    return canonical_decimal(number)


def _to_bool(value, fmt: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return TRUE_WORDS[value.strip().lower()]
    if fmt == "xlsx":
        raise _Bad(_("应为“是”或“否”，文件中为“%(value)s”。") % {"value": value})
    raise _Bad(_("应为 true 或 false，文件中为“%(value)s”。") % {"value": value})


def _to_codes(value, fmt: str) -> list[str]:
    if isinstance(value, list):
        codes = [_to_code(v, fmt) for v in value]
    elif fmt == "xlsx":
        codes = [c for c in _LIST_SPLIT.split(_to_text(value, fmt)) if c]
    else:
        raise _Bad(_("应为编码的列表，例如 [a, b]。"))
    return sorted(set(codes))


@dataclass
class _Row:
    """An item converted: the values that could be read, and the keys that could not."""

    item: _Item
    record: dict[str, Any]
    failed: set[str]

    @property
    def ok(self) -> bool:
        return not self.failed


def _convert(item: _Item, specs: list[Spec], fmt: str, problems: list[Problem]) -> _Row:
    """Read an item's values (canonical form; defaults for what is left out), reporting each bad one."""
    record: dict[str, Any] = {}
    failed: set[str] = set()
    for spec in specs:
        value = item.raw.get(spec.key)
        if isinstance(value, str) and not value.strip() and (spec.type != "text" or spec.required):
            value = None
        if value is None or (spec.type == "text" and value == ""):
            if spec.required:
                problems.append(Problem(item.sheet, item.row, item.column(spec.key), _("必填。"), item.code))
                failed.add(spec.key)
            elif spec.type == "codes":
                record[spec.key] = list(spec.default)
            elif isinstance(spec.default, Decimal):
                record[spec.key] = canonical_decimal(spec.default)
            else:
                record[spec.key] = spec.default
            continue
        try:
            if spec.type == "text":
                record[spec.key] = _to_text(value, fmt)
            elif spec.type in ("code", "ref"):
                record[spec.key] = _to_code(value, fmt)
            elif spec.type == "enum":
                text = _to_code(value, fmt)
                if text not in spec.choices:
                    raise _Bad(
                        _("“%(value)s”不是可选值，应为：%(choices)s。")
                        % {"value": text, "choices": "、".join(spec.choices)}
                    )
                record[spec.key] = text
            elif spec.type == "int":
                record[spec.key] = _to_int(value, fmt)
            elif spec.type == "decimal":
                record[spec.key] = _to_decimal(value, fmt)
            elif spec.type == "bool":
                record[spec.key] = _to_bool(value, fmt)
            elif spec.type == "codes":
                record[spec.key] = _to_codes(value, fmt)
        except _Bad as exc:
            problems.append(Problem(item.sheet, item.row, item.column(spec.key), str(exc), item.code))
            failed.add(spec.key)
    return _Row(item, record, failed)


# --- Checking ---------------------------------------------------------------------------------------


def _clean(instance, row: _Row, problems: list[Problem], exclude=()) -> bool:
    """Check the instance against the model; every ValidationError becomes a problem at its column.

    A row whose values all could be read gets full_clean() (fields, clean() invariants, uniqueness) and the
    database constraints. A row with unreadable values gets the field checks of what it has, but not the
    rules across fields, which would only echo the unreadable value.
    """
    item = row.item
    exclude = sorted(set(exclude) | row.failed)
    try:
        if row.ok:
            instance.full_clean(exclude=exclude, validate_constraints=False)
            instance.validate_constraints(exclude=exclude)
        else:
            instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            column = "" if name == NON_FIELD_ERRORS else item.column(name)
            for message in errors:
                problems.append(Problem(item.sheet, item.row, column, message, item.code))
        return False
    return row.ok


@dataclass
class _Plan:
    """What the file says, checked: (record, unsaved instance, stored record or None) per object."""

    fmt: str
    life_events: list[tuple[dict, LifeEvent, dict | None]] = field(default_factory=list)
    materials: list[tuple[dict, Material, dict | None]] = field(default_factory=list)
    matters: list[tuple[dict, Matter, dict | None]] = field(default_factory=list)
    bundles: list[tuple[dict, Bundle, dict | None]] = field(default_factory=list)
    synonyms: list[tuple[dict, Synonym, dict | None]] = field(default_factory=list)


def _first_of_each_code(rows: list[_Row], problems: list[Problem]) -> list[_Row]:
    """Rows in order, a repeated code reported and dropped."""
    seen: dict[str, _Item] = {}
    out = []
    for row in rows:
        code = row.record.get("code")
        if code is not None and code in seen:
            problems.append(
                Problem(
                    row.item.sheet,
                    row.item.row,
                    row.item.column("code"),
                    _("编码“%(code)s”重复（第 %(row)s 项/行已有）。") % {"code": code, "row": seen[code].row},
                    row.item.code,
                )
            )
            continue
        if code is not None:
            seen[code] = row.item
        out.append(row)
    return out


def _model_fields(record: dict, drop=()) -> dict:
    """The record's plain model values (decimals back to Decimal), without the linked lists."""
    values = {k: v for k, v in record.items() if k not in drop}
    for key in ("legal_limit", "promised_limit", "fee", "limit"):
        if key in values:
            values[key] = Decimal(values[key])
    return values


def _check(doc: _Document, problems: list[Problem]) -> _Plan:
    """Check every row of the document; the plan holds only rows without problems."""
    fmt = doc.fmt
    plan = _Plan(fmt)

    def convert_all(items, specs) -> list[_Row]:
        return [_convert(item, specs, fmt, problems) for item in items]

    life_events = _first_of_each_code(convert_all(doc.life_events, LIFE_EVENT_FIELDS), problems)
    materials = _first_of_each_code(convert_all(doc.materials, MATERIAL_FIELDS), problems)
    matters = _first_of_each_code(convert_all(doc.matters, MATTER_FIELDS), problems)
    bundles = _first_of_each_code(convert_all(doc.bundles, BUNDLE_FIELDS), problems)
    requirements = convert_all(doc.requirements, REQUIREMENT_SHEET_FIELDS)
    bundle_items = convert_all(doc.bundle_items, BUNDLE_ITEM_SHEET_FIELDS)
    in_file = {
        kind: {row.record["code"] for row in rows if "code" in row.record}
        for kind, rows in (("life_events", life_events), ("materials", materials), ("matters", matters),
                           ("bundles", bundles))
    }  # fmt: skip

    departments = {d.code: d for d in Department.objects.all()}
    zones = {z.code: z for z in Zone.objects.all()}
    db_life_events = {e.code: e for e in LifeEvent.objects.all()}
    db_materials = {m.code: m for m in Material.objects.all()}
    db_matter_codes = set(Matter.objects.values_list("code", flat=True))

    def unknown(row: _Row, key: str, kind_label: str, code: str):
        problems.append(
            Problem(
                row.item.sheet,
                row.item.row,
                row.item.column(key),
                _("未知的%(kind)s编码“%(code)s”。") % {"kind": kind_label, "code": code},
                row.item.code,
            )
        )

    def link_problem(row: _Row, key: str, message: str):
        problems.append(Problem(row.item.sheet, row.item.row, row.item.column(key), message, row.item.code))

    # Life events and materials.
    for model, rows, stored, as_record, target in (
        (LifeEvent, life_events, db_life_events, _life_event_record, plan.life_events),
        (Material, materials, db_materials, _material_record, plan.materials),
    ):
        for row in rows:
            instance = model(**row.record)
            old = stored.get(row.record.get("code"))
            if old is not None:
                _as_existing(instance, old)
            if _clean(instance, row, problems):
                target.append((row.record, instance, as_record(old) if old else None))

    # The materials of each matter, in order.
    requirements_of: dict[str, list[dict]] = {}
    broken_matters: set[str] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for row in requirements:
        matter_code, material_code = row.record.get("matter"), row.record.get("material")
        ok = row.ok
        if matter_code is not None and matter_code not in in_file["matters"]:
            link_problem(row, "matter", _("事项“%(code)s”不在“事项”表中。") % {"code": matter_code})
            ok = False
        if material_code is not None:
            if (matter_code, material_code) in seen_pairs:
                link_problem(row, "material", _("材料“%(code)s”在该事项中重复。") % {"code": material_code})
                ok = False
            elif material_code not in in_file["materials"] and material_code not in db_materials:
                unknown(row, "material", _("材料"), material_code)
                ok = False
            seen_pairs.add((matter_code, material_code))
        values = {k: v for k, v in row.record.items() if k not in ("matter", "material")}
        ok = (
            _clean(MatterMaterial(**values), row, problems, exclude=["matter", "material", "blank_form", "sample"])
            and ok
        )
        if ok:
            requirements_of.setdefault(matter_code, []).append({k: v for k, v in row.record.items() if k != "matter"})
        else:
            broken_matters.add(matter_code)

    # Matters.
    stored_matters = {m.code: m for m in _matters_qs().filter(code__in=in_file["matters"])}
    for row in matters:
        record = row.record
        ok = True
        department = departments.get(record.get("department"))
        if "department" in record and department is None:
            unknown(row, "department", _("部门"), record["department"])
            ok = False
        for code in record.get("zones", []):
            if code not in zones:
                unknown(row, "zones", _("服务区"), code)
                ok = False
        for code in record.get("life_events", []):
            if code not in in_file["life_events"] and code not in db_life_events:
                unknown(row, "life_events", _("主题"), code)
                ok = False
        instance = Matter(**_model_fields(record, drop=("department", "zones", "life_events")))
        if department is not None:
            instance.department = department
        old = stored_matters.get(record.get("code"))
        if old is not None:
            _as_existing(instance, old)
        ok = _clean(instance, row, problems, exclude=[] if department else ["department"]) and ok
        record["materials"] = requirements_of.get(record.get("code"), [])
        if ok and record["code"] not in broken_matters:
            plan.matters.append((record, instance, _matter_record(old) if old else None))

    # Bundles and their matters, in order.
    matters_of: dict[str, list[str]] = {}
    broken_bundles: set[str] = set()
    for row in bundle_items:
        bundle_code, matter_code = row.record.get("bundle"), row.record.get("matter")
        listed = matters_of.setdefault(bundle_code, [])
        ok = row.ok
        if bundle_code is not None and bundle_code not in in_file["bundles"]:
            link_problem(row, "bundle", _("一件事“%(code)s”不在“一件事”表中。") % {"code": bundle_code})
            ok = False
        if matter_code is not None:
            if matter_code in listed:
                link_problem(row, "matter", _("事项“%(code)s”在该一件事中重复。") % {"code": matter_code})
                ok = False
            elif matter_code not in in_file["matters"] and matter_code not in db_matter_codes:
                unknown(row, "matter", _("事项"), matter_code)
                ok = False
        if ok:
            listed.append(matter_code)
        else:
            broken_bundles.add(bundle_code)
    stored_bundles = {b.code: b for b in _bundles_qs().filter(code__in=in_file["bundles"])}
    for row in bundles:
        record = row.record
        ok = True
        zone = zones.get(record.get("zone"))
        if "zone" in record and zone is None:
            unknown(row, "zone", _("服务区"), record["zone"])
            ok = False
        life_event = record.get("life_event")
        if life_event is not None and life_event not in in_file["life_events"] and life_event not in db_life_events:
            unknown(row, "life_event", _("主题"), life_event)
            ok = False
        instance = Bundle(**_model_fields(record, drop=("zone", "life_event")))
        if zone is not None:
            instance.zone = zone
        old = stored_bundles.get(record.get("code"))
        if old is not None:
            _as_existing(instance, old)
        ok = _clean(instance, row, problems, exclude=["life_event"] + ([] if zone else ["zone"])) and ok
        record["matters"] = matters_of.get(record.get("code"), [])
        if ok and record["code"] not in broken_bundles:
            plan.bundles.append((record, instance, _bundle_record(old) if old else None))

    # Synonyms, keyed by their phrase as the search normalises it (营业执照 and ＂营业执照 ＂ are one).
    stored_synonyms = {s.phrase: s for s in Synonym.objects.all()}
    seen_phrases: dict[str, _Item] = {}
    for row in convert_all(doc.synonyms, SYNONYM_FIELDS):
        instance = Synonym(**row.record)
        instance.phrase = normalise(instance.phrase or "").replace(" ", "")
        item = row.item
        if instance.phrase and instance.phrase in seen_phrases:
            message = _("常用说法“%(phrase)s”重复（第 %(row)s 项/行已有）。") % {
                "phrase": instance.phrase, "row": seen_phrases[instance.phrase].row,
            }  # fmt: skip
            problems.append(Problem(item.sheet, item.row, item.column("phrase"), message, item.code))
            continue
        seen_phrases[instance.phrase] = item
        old = stored_synonyms.get(instance.phrase)
        if old is not None:
            _as_existing(instance, old)
        if _clean(instance, row, problems):
            plan.synonyms.append((_synonym_record(instance), instance, _synonym_record(old) if old else None))
    return plan


def _as_existing(instance, old) -> None:
    """Make an unsaved instance stand for the stored `old` one (same row; its own code passes uniqueness)."""
    instance.pk = old.pk
    instance._state.adding = False
    instance._state.db = old._state.db


# --- Import -----------------------------------------------------------------------------------------


def import_catalogue(path_or_stream, fmt: str | None = None, actor=None, request=None) -> ImportReport:
    """Import a catalogue file (path or binary stream; format from `fmt` or the file suffix).

    Every row is checked first; any problem raises CatalogueImportError listing all of them and nothing is
    changed. Otherwise the file is applied in one transaction (see the module docstring): records matched by
    code are created/updated/left unchanged, a matter's materials, zones and life events and a bundle's
    matters are replaced to match the file, and whatever the file does not mention is left alone.
    One audit event records the counts. Importing the same file again changes nothing.
    """
    try:
        fmt = detect_format(path_or_stream, fmt)
    except ValueError as exc:
        raise CatalogueImportError([Problem(FILE, None, "", str(exc))]) from None
    try:
        data = _read_bytes(path_or_stream)
    except OSError as exc:
        raise CatalogueImportError([Problem(FILE, None, "", _("无法读取文件：%(error)s") % {"error": exc})]) from None
    problems: list[Problem] = []
    doc = _read_yaml(data, problems) if fmt == "yaml" else _read_xlsx(data, problems)
    plan = _check(doc, problems)
    if problems:
        raise CatalogueImportError(problems)
    try:
        return _apply(plan, actor, request)
    except (IntegrityError, ProtectedError) as exc:
        raise CatalogueImportError(
            [Problem(FILE, None, "", _("写入数据库失败，未做任何修改：%(error)s") % {"error": exc})]
        ) from None


@transaction.atomic
def _apply(plan: _Plan, actor, request) -> ImportReport:
    report = ImportReport(plan.fmt)

    def outcome(kind: str, record: dict, before: dict | None) -> str | None:
        """ "created"/"updated" when the object must be written, None when it is already as the file says."""
        if before is None:
            report.counts[kind]["created"] += 1
            return "created"
        if before == record:
            report.counts[kind]["unchanged"] += 1
            return None
        report.counts[kind]["updated"] += 1
        return "updated"

    for record, instance, before in plan.life_events:
        if outcome("life_events", record, before):
            instance.save()
    for record, instance, before in plan.materials:
        if outcome("materials", record, before):
            instance.save()

    life_events = {e.code: e for e in LifeEvent.objects.all()}
    materials = {m.code: m for m in Material.objects.all()}
    zones = {z.code: z for z in Zone.objects.all()}
    for record, matter, before in plan.matters:
        if not outcome("matters", record, before):
            continue
        matter.save()
        matter.zones.set([zones[c] for c in record["zones"]])
        matter.life_events.set([life_events[c] for c in record["life_events"]])
        kept = {r.material.code: r for r in matter.requirements.select_related("material")}
        wanted = {r["material"] for r in record["materials"]}
        MatterMaterial.objects.filter(pk__in=[r.pk for code, r in kept.items() if code not in wanted]).delete()
        for order, req in enumerate(record["materials"], start=1):
            row = kept.get(req["material"]) or MatterMaterial(matter=matter, material=materials[req["material"]])
            for key, value in req.items():
                if key != "material":
                    setattr(row, key, value)
            row.order = order
            row.save()

    matters = dict(
        Matter.objects.filter(code__in={c for record, _b, _o in plan.bundles for c in record["matters"]}).values_list(
            "code", "pk"
        )
    )
    for record, bundle, before in plan.bundles:
        if not outcome("bundles", record, before):
            continue
        bundle.life_event = life_events[record["life_event"]] if record["life_event"] else None
        bundle.save()
        kept = {i.matter.code: i for i in bundle.items.select_related("matter")}
        BundleItem.objects.filter(pk__in=[i.pk for code, i in kept.items() if code not in record["matters"]]).delete()
        for order, code in enumerate(record["matters"], start=1):
            item = kept.get(code) or BundleItem(bundle=bundle, matter_id=matters[code])
            if item.pk is None or item.order != order:
                item.order = order
                item.save()

    for record, synonym, before in plan.synonyms:
        if outcome("synonyms", record, before):
            synonym.save()

    audit.record(
        actor,
        "catalogue.import",
        None,
        summary=_("导入实施清单（%(fmt)s）：%(summary)s") % {"fmt": plan.fmt, "summary": report.summary()},
        request=request,
        format=plan.fmt,
        counts=report.counts,
    )
    return report
