"""Import and export of the catalogue (实施清单): checks before changes, round trips, CLI and admin."""

import io
from decimal import Decimal

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from yichuang.catalogue.exchange import (
    SHEETS,
    CatalogueImportError,
    Problem,
    _Dumper,
    canonical_decimal,
    canonical_text,
    export_catalogue,
    import_catalogue,
)
from yichuang.catalogue.models import (
    Audience,
    Bundle,
    BundleItem,
    LifeEvent,
    Material,
    Matter,
    MatterMaterial,
    Synonym,
)
from yichuang.catalogue.tests.factories import (
    BundleFactory,
    LifeEventFactory,
    MaterialFactory,
    MatterFactory,
    MatterMaterialFactory,
)
from yichuang.core.models import AuditEvent
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import DepartmentFactory, SiteFactory, UserFactory, ZoneFactory

MATTER_KEYS = [
    "code", "name", "kind", "department", "zones", "audience", "life_events", "limit_unit", "legal_limit",
    "promised_limit", "fee", "fee_note", "online", "visits", "delegated", "specialized_only", "status",
    "conditions", "procedure", "legal_basis", "keywords", "implementation_code", "basic_code", "materials",
]  # fmt: skip


@pytest.fixture
def catalogue(db):
    """Six matters (one per 事项 row 2–7), four materials, two life events, two bundles, two synonyms."""
    site = SiteFactory()
    zone_a = ZoneFactory(site=site, code="zone-a")
    zone_b = ZoneFactory(site=site, code="zone-b")
    market = DepartmentFactory(code="market")
    agriculture = DepartmentFactory(code="agriculture", delegated=True)
    start = LifeEventFactory(code="start-business", name="开办企业", audience=Audience.ORG, order=1)
    LifeEventFactory(code="buy-house", name="买卖二手房", order=2)
    mats = [
        MaterialFactory(code=f"mat-{i}", description=f"说明{i}" if i % 2 else "", issuer="公安机关" if i else "")
        for i in range(4)
    ]
    m1 = MatterFactory(
        code="411624-XK-0001",
        name="企业设立登记",
        department=market,
        zones=[zone_b, zone_a],
        legal_limit=Decimal("20"),
        promised_limit=Decimal("3.5"),
        fee=Decimal("12.50"),
        fee_note="工本费",
        online=True,
        visits=0,
        conditions="一、申请人具有完全民事行为能力；\r\n二、名称已申报。",
        procedure="受理 → 审核 → 发照\n",
        keywords="营业执照 公司注册",
    )
    m1.life_events.set([start])
    m2 = MatterFactory(code="411624-XK-0002", department=market, instant=True, zones=[zone_a])
    m3 = MatterFactory(
        code="411624-XK-0003", department=agriculture, delegated=True, hours=True, promised_limit=Decimal("0.5")
    )
    for i in range(4, 7):
        MatterFactory(
            code=f"411624-XK-000{i}", department=market, status=Matter.Status.SUSPENDED if i == 5 else "in_use"
        )
    MatterMaterialFactory(matter=m1, material=mats[2], core_material=True, order=1, copies=1)
    MatterMaterialFactory(matter=m1, material=mats[0], deferrable_material=True, order=2, copies=2, notes="=签字")
    MatterMaterialFactory(matter=m3, material=mats[1], pledgeable=True)
    MatterMaterialFactory(matter=m2, material=mats[3], required=False, originals=0, copies=1)
    BundleFactory(code="open-shop", zone=zone_a, life_event=start, limit=Decimal("0.5"), matters=[m3, m1])
    BundleFactory(code="quick", zone=zone_b, limit_unit="instant", limit=Decimal("0"), matters=[m2])
    Synonym.objects.create(phrase="营业执照", words="设立登记、企业开办")
    Synonym.objects.create(phrase="公积金提取", words="住房公积金 提取")
    return {"matters": [m1, m2, m3], "materials": mats}


def yaml_export() -> bytes:
    out = io.BytesIO()
    export_catalogue(out, "yaml")
    return out.getvalue()


def xlsx_export() -> bytes:
    out = io.BytesIO()
    export_catalogue(out, "xlsx")
    return out.getvalue()


def cells(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def wipe():
    BundleItem.objects.all().delete()
    Bundle.objects.all().delete()
    MatterMaterial.objects.all().delete()
    Matter.objects.all().delete()
    Material.objects.all().delete()
    LifeEvent.objects.all().delete()
    Synonym.objects.all().delete()


def load(data: bytes, fmt: str, **kwargs):
    return import_catalogue(io.BytesIO(data), fmt, **kwargs)


def edit_xlsx(data: bytes, edits: dict[tuple[str, int, str], object]) -> bytes:
    """Change cells addressed as (sheet, row, header)."""
    wb = load_workbook(io.BytesIO(data))
    for (sheet, row, header), value in edits.items():
        ws = wb[sheet]
        column = [c.value for c in ws[1]].index(header) + 1
        ws.cell(row=row, column=column).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def where(problems: list[Problem]) -> set[tuple]:
    return {(p.sheet, p.row, p.column) for p in problems}


# --- Round trips ------------------------------------------------------------------------------------


def test_yaml_export_import_export_is_byte_identical(catalogue):
    first = yaml_export()
    wipe()
    report = load(first, "yaml")
    assert report.counts["matters"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert report.counts["bundles"]["created"] == 2
    assert report.counts["materials"]["created"] == 4
    assert report.counts["life_events"]["created"] == 2
    assert report.counts["synonyms"]["created"] == 2
    assert yaml_export() == first

    text = first.decode()
    assert text.startswith("format: yichuang-catalogue/1\nlife_events:\n  - {code: buy-house,")
    doc = yaml.safe_load(text)
    assert list(doc) == ["format", "life_events", "materials", "matters", "bundles", "synonyms"]
    assert doc["synonyms"] == [
        {"phrase": "公积金提取", "words": "住房公积金 提取"},
        {"phrase": "营业执照", "words": "设立登记、企业开办"},
    ]
    assert [m["code"] for m in doc["matters"]] == sorted(m["code"] for m in doc["matters"])
    first_matter = doc["matters"][0]
    assert list(first_matter) == MATTER_KEYS
    assert first_matter["zones"] == ["zone-a", "zone-b"]
    assert (first_matter["legal_limit"], first_matter["promised_limit"], first_matter["fee"]) == ("20", "3.5", "12.5")
    assert first_matter["conditions"] == "一、申请人具有完全民事行为能力；\n二、名称已申报。"
    assert [r["material"] for r in first_matter["materials"]] == ["mat-2", "mat-0"]  # in order, not by code
    assert list(first_matter["materials"][0]) == [
        "material", "required", "core", "originals", "copies", "deferrable", "pledgeable", "notes",
    ]  # fmt: skip
    assert doc["matters"][1]["legal_limit"] == "0"
    assert doc["bundles"][0]["matters"] == ["411624-XK-0003", "411624-XK-0001"]
    assert doc["bundles"][0]["limit"] == "0.5"
    assert doc["bundles"][1]["life_event"] is None
    # The file's records are what the database now holds.
    m1 = Matter.objects.get(code="411624-XK-0001")
    assert m1.promised_limit == Decimal("3.5") and m1.fee == Decimal("12.5")
    assert [r.material.code for r in m1.requirements.order_by("order")] == ["mat-2", "mat-0"]
    assert Bundle.objects.get(code="open-shop").life_event.code == "start-business"


def test_xlsx_export_import_export_is_cell_identical(catalogue):
    as_yaml = yaml_export()
    first = xlsx_export()
    first_cells = cells(first)
    assert list(first_cells) == list(SHEETS.values())
    matters = first_cells["事项"]
    assert matters[0][:4] == ("code", "name", "kind", "department")
    row = dict(zip(matters[0], matters[1], strict=True))
    assert row["zones"] == "zone-a,zone-b" and row["online"] == "是" and row["delegated"] == "否"
    assert row["promised_limit"] == "3.5" and row["visits"] == 0
    assert first_cells["事项材料"][0] == (
        "matter", "material", "required", "core", "originals", "copies", "deferrable", "pledgeable", "notes",
    )  # fmt: skip
    assert first_cells["事项材料"][2][-1] == "=签字"  # text, never a formula
    assert first_cells["一件事事项"][1:3] == [("open-shop", "411624-XK-0003"), ("open-shop", "411624-XK-0001")]
    assert first_cells["检索同义词"] == [
        ("phrase", "words"), ("公积金提取", "住房公积金 提取"), ("营业执照", "设立登记、企业开办"),
    ]  # fmt: skip

    wipe()
    report = load(first, "xlsx")
    assert report.counts["matters"]["created"] == 6
    assert cells(xlsx_export()) == first_cells
    # Nothing is lost on the way through the workbook: the YAML view is the same as before.
    assert yaml_export() == as_yaml


def test_import_twice_is_idempotent(catalogue):
    data = yaml_export()
    wipe()
    user = UserFactory(hall_admin=True)
    first = load(data, "yaml", actor=user)
    assert first.changed == 16
    rows = {
        (r.matter.code, r.material.code): (r.pk, r.order)
        for r in MatterMaterial.objects.select_related("matter", "material")
    }
    stamps = dict(Matter.objects.values_list("code", "updated_at"))
    second = load(data, "yaml", actor=user)
    assert second.changed == 0
    assert second.counts["matters"] == {"created": 0, "updated": 0, "unchanged": 6}
    assert second.counts["bundles"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert {
        (r.matter.code, r.material.code): (r.pk, r.order)
        for r in MatterMaterial.objects.select_related("matter", "material")
    } == rows
    assert dict(Matter.objects.values_list("code", "updated_at")) == stamps
    events = list(AuditEvent.objects.filter(action="catalogue.import").order_by("id"))
    assert len(events) == 2
    assert events[0].actor == user and events[0].detail["counts"]["matters"]["created"] == 6
    assert events[1].detail["counts"]["matters"]["unchanged"] == 6


def test_import_replaces_a_matters_lists_and_leaves_the_rest_alone(catalogue):
    m1 = catalogue["matters"][0]
    kept = m1.requirements.get(material__code="mat-0")
    doc = yaml.safe_load(yaml_export())
    matter = next(m for m in doc["matters"] if m["code"] == m1.code)
    matter["zones"] = ["zone-b"]
    matter["life_events"] = ["buy-house"]
    matter["materials"] = [
        {**matter["materials"][1], "copies": 3},  # mat-0 first now
        {"material": "mat-new", "required": True, "core": False, "originals": 1, "copies": 0},  # defaults for the rest
    ]
    new = {**matter, "code": "411624-XK-0099", "name": "新增事项", "materials": []}
    bundle = {**doc["bundles"][0], "matters": ["411624-XK-0001"]}
    partial = {
        "format": "yichuang-catalogue/1",
        "materials": [{"code": "mat-new", "name": "新材料"}],
        "matters": [matter, new],
        "bundles": [bundle],
    }
    report = load(yaml.safe_dump(partial, allow_unicode=True, sort_keys=False).encode(), "yaml")
    assert report.counts["matters"] == {"created": 1, "updated": 1, "unchanged": 0}
    assert report.counts["materials"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert report.counts["bundles"] == {"created": 0, "updated": 1, "unchanged": 0}
    m1.refresh_from_db()
    assert [z.code for z in m1.zones.all()] == ["zone-b"]
    assert [e.code for e in m1.life_events.all()] == ["buy-house"]
    reqs = list(m1.requirements.order_by("order").select_related("material"))
    assert [(r.material.code, r.copies) for r in reqs] == [("mat-0", 3), ("mat-new", 0)]
    assert reqs[0].pk == kept.pk  # the same row (its uploaded blank form and sample stay)
    assert reqs[1].notes == "" and reqs[1].pledgeable is False
    assert [m.code for m in Bundle.objects.get(code="open-shop").ordered_matters()] == ["411624-XK-0001"]
    # Not in the file: left alone.
    assert Matter.objects.count() == 7
    assert Material.objects.count() == 5
    assert Bundle.objects.get(code="quick").items.count() == 1
    assert MatterMaterial.objects.filter(matter__code="411624-XK-0003").count() == 1


# --- Problems: everything checked first, nothing changed -------------------------------------------


def test_one_bad_row_changes_nothing_and_names_sheet_row_column(catalogue):
    before = yaml_export()
    data = edit_xlsx(
        xlsx_export(),
        {
            ("事项", 7, "promised_limit"): "30",  # legal limit is 20
            ("材料", 2, "name"): "改过的名称",  # a valid change elsewhere in the file
            ("事项", 2, "name"): "改过的事项",
        },
    )
    with pytest.raises(CatalogueImportError) as caught:
        load(data, "xlsx")
    problems = caught.value.problems
    assert where(problems) == {("事项", 7, "promised_limit")}
    assert str(problems[0]) == "事项 行 7 (411624-XK-0006) 列 promised_limit: 承诺时限不得超过法定时限。"
    assert yaml_export() == before
    assert not AuditEvent.objects.filter(action="catalogue.import").exists()


def test_several_bad_rows_are_all_reported(catalogue):
    before = yaml_export()
    doc = yaml.safe_load(before)
    doc["format"] = "yichuang-catalogue/0"
    doc["life_events"][0]["audience"] = "alien"
    doc["materials"][1]["code"] = "mat-0"  # duplicate
    m = doc["matters"]
    m[0]["kind"] = "permit"
    m[0]["materials"][0]["deferrable"] = True  # a core material
    m[0]["materials"][1]["material"] = "mat-x"
    m[1]["fee"] = "abc"
    m[1]["legal_limit"] = "3"  # an instant matter has no limit
    m[2]["online"] = "maybe"
    m[2]["delegated"] = False  # its department is delegated
    m[3]["department"] = "nowhere"
    m[3]["zones"] = ["zone-a", "zone-x"]
    m[4]["life_events"] = ["no-event"]
    m[4]["visits"] = "two"
    m[5]["promised_limit"] = "25"
    m[5]["colour"] = "red"
    m[5]["materials"] = [{"material": "mat-1", "originals": 0, "copies": 0}]
    m.append({**m[4], "life_events": [], "visits": 1})  # duplicate code
    del m[3]["name"]
    doc["bundles"][0]["matters"].append("999-none")
    doc["bundles"][1]["zone"] = "zone-x"
    doc["bundles"][1]["limit"] = "2"  # instant
    data = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()
    with pytest.raises(CatalogueImportError) as caught:
        load(data, "yaml")
    expected = {
        ("format", None, "format"),
        ("life_events", 1, "audience"),
        ("materials", 2, "code"),
        ("matters", 1, "kind"),
        ("matters", 1, "materials.1.deferrable"),
        ("matters", 1, "materials.2.material"),
        ("matters", 2, "fee"),
        ("matters", 3, "online"),
        ("matters", 4, "department"),
        ("matters", 4, "zones"),
        ("matters", 4, "name"),
        ("matters", 5, "life_events"),
        ("matters", 5, "visits"),
        ("matters", 6, "colour"),
        ("matters", 6, "materials.1.originals"),
        ("matters", 7, "code"),
        ("bundles", 1, "matters.3"),
        ("bundles", 2, "zone"),
    }
    found = where(caught.value.problems)
    assert expected <= found, expected - found
    # Converted fine but breaks model invariants (each checked by full_clean once the row converts):
    m[0]["kind"] = "license"
    m[1]["fee"] = "0"
    m[2]["online"] = False
    data = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()
    with pytest.raises(CatalogueImportError) as caught:
        load(data, "yaml")
    found = where(caught.value.problems)
    invariants = {
        ("matters", 2, "legal_limit"),
        ("matters", 3, "delegated"),
        ("matters", 6, "promised_limit"),
        ("bundles", 2, "limit"),
    }
    assert invariants <= found, invariants - found
    messages = {(p.sheet, p.row, p.column): p.message for p in caught.value.problems}
    assert messages[("matters", 1, "materials.1.deferrable")] == "核心要件不得容缺。"
    assert messages[("matters", 3, "delegated")] == "委托部门的事项须由综窗代为收件。"
    assert "部门编码“nowhere”" in messages[("matters", 4, "department")]
    assert yaml_export() == before


def test_unknown_codes_and_bad_cells_in_xlsx(catalogue):
    before = yaml_export()
    data = edit_xlsx(
        xlsx_export(),
        {
            ("事项", 2, "zones"): "zone-a，zone-q",
            ("事项", 3, "life_events"): "nope",
            ("事项", 4, "visits"): "1.5",
            ("事项材料", 2, "material"): "mat-zz",
            ("事项材料", 3, "core"): "也许",
            ("事项材料", 4, "matter"): "not-in-sheet",
            ("一件事", 2, "life_event"): "ghost",
            ("一件事事项", 2, "matter"): "411624-XK-9999",
            ("主题", 2, "order"): "first",
        },
    )
    with pytest.raises(CatalogueImportError) as caught:
        load(data, "xlsx")
    problems = {(p.sheet, p.row, p.column): p.message for p in caught.value.problems}
    assert problems[("事项", 2, "zones")] == "未知的服务区编码“zone-q”。"
    assert problems[("事项", 3, "life_events")] == "未知的主题编码“nope”。"
    assert "整数" in problems[("事项", 4, "visits")]
    assert problems[("事项材料", 2, "material")] == "未知的材料编码“mat-zz”。"
    assert "“是”或“否”" in problems[("事项材料", 3, "core")]
    assert "不在“事项”表中" in problems[("事项材料", 4, "matter")]
    assert problems[("一件事", 2, "life_event")] == "未知的主题编码“ghost”。"
    assert problems[("一件事事项", 2, "matter")] == "未知的事项编码“411624-XK-9999”。"
    assert "整数" in problems[("主题", 2, "order")]
    assert yaml_export() == before


def test_missing_sheet_and_headers_are_reported(catalogue):
    wb = load_workbook(io.BytesIO(xlsx_export()))
    del wb["一件事事项"]
    wb["材料"].cell(row=1, column=2).value = None  # the "name" header
    wb["主题"].cell(row=1, column=5, value="colour")
    wb["事项"].cell(row=3, column=30, value="stray")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(CatalogueImportError) as caught:
        load(out.getvalue(), "xlsx")
    found = where(caught.value.problems)
    assert {("一件事事项", None, ""), ("材料", 1, "name"), ("主题", 1, "colour"), ("事项", 3, "")} <= found


def test_synonyms_are_imported_by_their_normalised_phrase_and_checked(catalogue):
    before = yaml_export()
    doc = yaml.safe_load(before)
    doc["synonyms"] = [
        {"phrase": "营业执照", "words": "设立登记，企业开办，个体工商户"},  # changed: one more meaning
        {"phrase": "ＫＴＶ", "words": "娱乐场所"},  # new, stored as the search normalises it
        {"phrase": "公积金提取", "words": "住房公积金 提取"},  # unchanged
    ]
    report = load(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode(), "yaml")
    assert report.counts["synonyms"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert dict(Synonym.objects.values_list("phrase", "words")) == {
        "营业执照": "设立登记、企业开办、个体工商户",
        "ktv": "娱乐场所",
        "公积金提取": "住房公积金 提取",
    }

    doc["synonyms"] = [
        {"phrase": "过户", "words": "转移登记"},
        {"phrase": " 过户！", "words": "过户"},  # the same phrase once normalised
        {"phrase": "？？", "words": "转移登记"},  # nothing left of the phrase
        {"phrase": "社保", "words": "、、"},  # no meaning
        {"phrase": "社保卡", "words": "社保卡"},  # only itself
        {"phrase": "长" * 40, "words": "太长"},
        {"words": "没有说法"},
    ]
    after_first = yaml_export()
    with pytest.raises(CatalogueImportError) as caught:
        load(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode(), "yaml")
    problems = {(p.sheet, p.row, p.column): p.message for p in caught.value.problems}
    assert "重复" in problems[("synonyms", 2, "phrase")]
    assert "不能只有标点" in problems[("synonyms", 3, "phrase")]
    assert "至少填写一个" in problems[("synonyms", 4, "words")]
    assert "不能只是常用说法本身" in problems[("synonyms", 5, "words")]
    assert ("synonyms", 6, "phrase") in problems
    assert problems[("synonyms", 7, "phrase")] == "必填。"
    assert yaml_export() == after_first


def test_a_workbook_written_before_synonyms_still_imports(catalogue):
    wb = load_workbook(io.BytesIO(xlsx_export()))
    del wb["检索同义词"]
    out = io.BytesIO()
    wb.save(out)
    Synonym.objects.filter(phrase="营业执照").update(words="设立登记")
    report = load(out.getvalue(), "xlsx")
    assert report.counts["synonyms"] == {"created": 0, "updated": 0, "unchanged": 0}
    assert Synonym.objects.get(phrase="营业执照").words == "设立登记"  # not in the file: left alone


def test_not_a_catalogue_file(db):
    for data, fmt in [(b"\x00\x01garbage", "xlsx"), (b"matters: [1, 2", "yaml"), (b"- a\n- b\n", "yaml")]:
        with pytest.raises(CatalogueImportError) as caught:
            load(data, fmt)
        assert caught.value.problems[0].sheet == "文件"
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(io.BytesIO(b"format: yichuang-catalogue/1\n"))  # no name, no format
    assert "格式" in caught.value.problems[0].message


def damage_xlsx(data: bytes, member: str, damage) -> bytes:
    """The workbook with one of its zip members replaced by damage(content)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            content = zin.read(name)
            zout.writestr(name, damage(content) if name == member else content)
    return out.getvalue()


@pytest.mark.parametrize(
    "member, damage",
    [
        ("xl/workbook.xml", lambda content: b"<workbook"),  # broken while opening
        ("xl/worksheets/sheet3.xml", lambda content: content[: len(content) // 2]),  # broken while reading 事项
    ],
)
def test_a_damaged_workbook_is_one_problem_of_the_file_and_changes_nothing(catalogue, client, member, damage):
    data = edit_xlsx(xlsx_export(), {("事项", 2, "name"): "改名"})
    bad = damage_xlsx(data, member, damage)
    with pytest.raises(CatalogueImportError) as caught:
        load(bad, "xlsx")
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == ("文件", None) and "不是有效的 xlsx 文件" in problem.message

    client.force_login(UserFactory(hall_admin=True))
    response = client.post(reverse("admin:catalogue_matter_exchange"), upload("清单.xlsx", bad))
    assert response.status_code == 200 and "不是有效的 xlsx 文件" in response.content.decode()
    assert not Matter.objects.filter(name="改名").exists()
    assert not AuditEvent.objects.filter(action="catalogue.import").exists()


def test_deeply_nested_yaml_is_refused_before_it_is_built(db):
    for depth in (30, 200_000):  # the second crashed the process inside PyYAML's C loader
        data = b"format: yichuang-catalogue/1\nmatters: " + b"[" * depth + b"]" * depth + b"\n"
        with pytest.raises(CatalogueImportError) as caught:
            load(data, "yaml")
        [problem] = caught.value.problems
        assert problem.sheet == "文件" and "嵌套层次过深" in problem.message


def test_yaml_aliases_that_stand_for_too_much_are_refused(catalogue):
    # Ten lines that stand for ten billion values (each list repeats the one before ten times).
    lines = ["format: yichuang-catalogue/1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(CatalogueImportError) as caught:
        load("\n".join(lines).encode(), "yaml")
    [problem] = caught.value.problems
    assert problem.sheet == "文件" and "别名" in problem.message

    # An alias as yaml.safe_dump writes it for a list two records share is fine.
    doc = yaml.safe_load(yaml_export())
    doc["matters"][1]["zones"] = doc["matters"][0]["zones"]
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    assert "*id" in text
    load(text.encode(), "yaml")
    assert set(Matter.objects.get(code="411624-XK-0002").zones.values_list("code", flat=True)) == {"zone-a", "zone-b"}


def test_yaml_numbers_are_accepted_as_decimals_and_canonicalised(catalogue):
    doc = yaml.safe_load(yaml_export())
    doc["matters"][0]["legal_limit"] = 20  # a bare number instead of "20"
    doc["matters"][0]["promised_limit"] = "3.50"
    report = load(yaml.safe_dump(doc, allow_unicode=True).encode(), "yaml")
    assert report.changed == 0
    assert canonical_decimal(Decimal("20.0")) == "20"
    assert canonical_decimal(Decimal("0.50")) == "0.5"
    assert canonical_decimal(Decimal("1E+1")) == "10"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_any_text_survives_the_yaml_writer(text):
    value = canonical_text(text)
    assert canonical_text(value) == value
    for doc in ({"conditions": value}, {"materials": [{"notes": value}]}):
        dumped = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**9)
        assert yaml.safe_load(dumped) == doc


# --- CLI ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cli_export_import_and_exit_status_on_a_bad_file(catalogue, tmp_path, capsys):
    good = tmp_path / "catalogue.yaml"
    call_command("catalog", "export", str(good))
    assert "已导出：主题 2、材料 4、事项 6、一件事 2" in capsys.readouterr().out
    call_command("catalog", "import", str(good))
    out = capsys.readouterr().out
    assert "事项：新增 0，更新 0，未变 6" in out and "导入完成，共变更 0 条" in out

    bad = tmp_path / "bad.xlsx"
    call_command("catalog", "export", str(bad))
    bad.write_bytes(edit_xlsx(bad.read_bytes(), {("事项", 7, "promised_limit"): "30", ("事项", 3, "kind"): "x"}))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["yichuang", "catalog", "import", str(bad)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "事项 行 7 (411624-XK-0006) 列 promised_limit: 承诺时限不得超过法定时限。" in err
    assert "事项 行 3 (411624-XK-0002) 列 kind:" in err
    assert "发现 2 个问题，未做任何修改。" in err
    assert err.index("事项 行 3") < err.index("事项 行 7")  # in the order of the file
    assert Matter.objects.get(code="411624-XK-0006").promised_limit == Decimal("5")


# --- Admin --------------------------------------------------------------------------------------------


def upload(name: str, data: bytes):
    return {"file": SimpleUploadedFile(name, data)}


def test_admin_hall_admin_imports_and_exports(catalogue, client):
    admin = UserFactory(hall_admin=True)
    client.force_login(admin)
    changelist = client.get(reverse("admin:catalogue_matter_changelist"))
    assert changelist.status_code == 200
    page = changelist.content.decode()
    exchange_url = reverse("admin:catalogue_matter_exchange")
    assert exchange_url in page and "导入实施清单" in page and "导出实施清单 (xlsx)" in page

    yaml_url = reverse("admin:catalogue_matter_export", args=["yaml"])
    download = client.get(yaml_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="catalogue-')
    assert download.content == yaml_export()
    xlsx = client.get(reverse("admin:catalogue_matter_export", args=["xlsx"]))
    assert cells(xlsx.content) == cells(xlsx_export())
    assert client.get(reverse("admin:catalogue_matter_export", args=["csv"])).status_code == 404

    assert client.get(exchange_url).status_code == 200
    bad = edit_xlsx(xlsx.content, {("事项", 7, "promised_limit"): "30"})
    response = client.post(exchange_url, upload("清单.xlsx", bad))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-problems"' in html and "承诺时限不得超过法定时限。" in html
    assert "<td>事项</td><td>7</td><td>411624-XK-0006</td><td>promised_limit</td>" in html

    doc = yaml.safe_load(download.content)
    doc["matters"][0]["name"] = "企业设立登记（新）"
    response = client.post(exchange_url, upload("清单.yaml", yaml.safe_dump(doc, allow_unicode=True).encode()))
    html = response.content.decode()
    assert 'id="import-report"' in html and "<td>事项</td><td>0</td><td>1</td><td>5</td>" in html
    assert Matter.objects.get(code="411624-XK-0001").name == "企业设立登记（新）"
    assert AuditEvent.objects.get(action="catalogue.import").actor == admin

    response = client.post(exchange_url, upload("清单.txt", b"x"))
    assert response.status_code == 200 and "请上传 .xlsx、.yaml 或 .yml 文件。" in response.content.decode()


def test_admin_exchange_refused_to_others(catalogue, client):
    exchange_url = reverse("admin:catalogue_matter_exchange")
    export_url = reverse("admin:catalogue_matter_export", args=["yaml"])
    data = yaml_export().replace("企业设立登记".encode(), "改名".encode())
    client.force_login(UserFactory(window_clerk=True))
    for response in (
        client.get(exchange_url),
        client.post(exchange_url, upload("a.yaml", data)),
        client.get(export_url),
    ):
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    # Admin access and the right to view matters, but not to change the catalogue.
    client.force_login(UserFactory(roles=[Role.CONSULTANT], is_staff=True))
    assert client.get(exchange_url).status_code == 403
    assert client.post(exchange_url, upload("a.yaml", data)).status_code == 403
    assert client.get(export_url).status_code == 403
    changelist = client.get(reverse("admin:catalogue_matter_changelist"))
    assert changelist.status_code == 200 and "导入实施清单" not in changelist.content.decode()
    assert Matter.objects.filter(name="改名").count() == 0
