"""The public catalogue API: fields of every answer, paging, the one-time notice, and JSON errors for bad input."""

import re
from decimal import Decimal

import pytest

from yichuang.catalogue.models import Matter
from yichuang.catalogue.tests.factories import (
    BundleFactory,
    LifeEventFactory,
    MaterialFactory,
    MatterFactory,
    MatterMaterialFactory,
)
from yichuang.organisation.tests.factories import DepartmentFactory, SiteFactory, UserFactory, ZoneFactory

pytestmark = pytest.mark.django_db

MATTER_FIELDS = {
    "code",
    "name",
    "department",
    "department_name",
    "kind",
    "limit_unit",
    "legal_limit",
    "promised_limit",
    "online",
    "status",
    "zones",
}


def _json(response, status=200):
    assert response.status_code == status, response.content.decode()[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _error(response, status):
    body = _json(response, status)
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def hall():
    """Two zones, two departments, a life event; matters in use, one suspended, one cancelled."""
    land = DepartmentFactory(code="zrzy", name="县自然资源局")
    water = DepartmentFactory(code="water", name="县供水公司")
    site = SiteFactory()
    estate = ZoneFactory(site=site, code="estate", name="不动产登记服务专区")
    general = ZoneFactory(site=site, code="general", name="综合审批服务区")
    house = LifeEventFactory(code="house", name="买卖二手房")
    transfer = MatterFactory(
        code="BDC001",
        name="不动产转移登记",
        department=land,
        zones=[estate, general],
        legal_limit=Decimal("30"),
        promised_limit=Decimal("5"),
        online=True,
    )
    transfer.life_events.add(house)
    water_transfer = MatterFactory(
        code="GS001", name="供水过户", department=water, zones=[estate], hours=True, promised_limit=Decimal("0.5")
    )
    water_transfer.life_events.add(house)
    MatterFactory(code="GS002", name="供水报装", department=water, zones=[general], suspended=True)
    MatterFactory(code="OLD001", name="已取消的登记", department=land, status=Matter.Status.CANCELLED)
    return {"land": land, "water": water, "estate": estate, "general": general, "house": house}


# --- /api/matters --------------------------------------------------------------------------------------


def test_matter_list_fields_and_decimals_as_strings(client, hall):
    body = _json(client.get("/api/matters"))
    assert set(body) == {"items", "count"}
    assert body["count"] == 3  # the cancelled matter is not listed; the suspended one is, with its status
    assert [m["code"] for m in body["items"]] == ["BDC001", "GS001", "GS002"]
    first = body["items"][0]
    assert set(first) == MATTER_FIELDS
    assert first == {
        "code": "BDC001",
        "name": "不动产转移登记",
        "department": "zrzy",
        "department_name": "县自然资源局",
        "kind": "license",
        "limit_unit": "working_days",
        "legal_limit": "30.0",
        "promised_limit": "5.0",
        "online": True,
        "status": "in_use",
        "zones": ["estate", "general"],
    }
    water = body["items"][1]
    assert (water["limit_unit"], water["promised_limit"]) == ("working_hours", "0.5")
    assert body["items"][2]["status"] == "suspended"


def test_matter_list_filters_use_the_guide_query(client, hall):
    def codes(query):
        return [m["code"] for m in _json(client.get("/api/matters" + query))["items"]]

    assert codes("?zone=estate") == ["BDC001", "GS001"]
    assert codes("?department=water") == ["GS001", "GS002"]
    assert codes("?life_event=house") == ["BDC001", "GS001"]
    assert codes("?life_event=house&department=water") == ["GS001"]
    assert codes("?search=登记") == ["BDC001"]
    assert codes("?search=gsgh") == ["GS001"]  # pinyin initials of 供水过户
    assert codes("?search=供水&zone=general") == ["GS002"]
    assert codes("?zone=nowhere") == []
    assert codes("?zone=&department=&search=") == ["BDC001", "GS001", "GS002"]  # empty means no filter


def test_matter_list_pages_with_limit_and_offset(client, hall):
    MatterFactory.create_batch(60, department=hall["land"])
    body = _json(client.get("/api/matters"))
    assert body["count"] == 63 and len(body["items"]) == 50  # default limit
    all_codes = [m["code"] for m in _json(client.get("/api/matters?limit=200"))["items"]]
    assert len(all_codes) == 63
    page = _json(client.get("/api/matters?limit=10&offset=55"))
    assert page["count"] == 63
    assert [m["code"] for m in page["items"]] == all_codes[55:63]
    assert _json(client.get("/api/matters?offset=1000"))["items"] == []


def test_matter_list_costs_a_fixed_number_of_queries(client, hall, django_assert_max_num_queries):
    for _ in range(30):
        MatterFactory(department=hall["water"], zones=[hall["estate"], hall["general"]])
    with django_assert_max_num_queries(4):  # page, zones of the page, count (+ session/savepoint slack)
        body = _json(client.get("/api/matters?limit=200"))
    assert len(body["items"]) == 33


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ("limit=0", "limit", "greater than or equal to 1"),
        ("limit=201", "limit", "less than or equal to 200"),
        ("limit=abc", "limit", "valid integer"),
        ("limit=", "limit", "valid integer"),
        ("limit=1.5", "limit", "valid integer"),
        ("limit=99999999999999999999999999", "limit", "less than or equal to 200"),
        ("offset=-1", "offset", "greater than or equal to 0"),
        ("offset=100000000000000000000000", "offset", "less than or equal to 1000000"),
        ("search=" + "长" * 101, "search", "at most 100 characters"),
        ("search=a%00b", "search", "control characters"),
        ("zone=%00", "zone", "control characters"),  # refused by the API parser before the code check
        ("department=a%20b", "department", "a code has only"),
        ("life_event=" + "x" * 41, "life_event", "at most 40 characters"),
        ("zone=%27%3B--", "zone", "a code has only"),
    ],
)
def test_bad_list_parameters_are_422_with_the_field_and_reason(client, hall, query, field, reason):
    body = _error(client.get("/api/matters?" + query), 422)
    assert body["errors"][0]["field"] == field
    assert reason in body["detail"], body


def test_odd_but_valid_searches_do_not_fail(client, hall):
    for query in ["%25", "_", "%27", "%22", "%5C", "%E2%80%AE", "%F0%9F%98%80", "a+b+c+d+e+f+g+h+i+j", "+++"]:
        body = _json(client.get("/api/matters?search=" + query))
        assert set(body) == {"items", "count"}
    # LIKE wildcards are matched literally.
    assert _json(client.get("/api/matters?search=%25"))["count"] == 0
    assert _json(client.get("/api/matters?search=_"))["count"] == 0
    assert _json(client.get("/api/matters?search=+++"))["count"] == 3  # only spaces: no search at all


# --- /api/matters/{code} ----------------------------------------------------------------------------------


def test_matter_detail_with_materials_in_order(client, hall):
    matter = Matter.objects.get(code="BDC001")
    matter.fee = Decimal("80")
    matter.save()
    id_card = MaterialFactory(code="idcard", name="身份证明")
    deed = MaterialFactory(code="deed", name="不动产权证书")
    MatterMaterialFactory(matter=matter, material=deed, order=2, originals=1, copies=1, core_material=True)
    MatterMaterialFactory(
        matter=matter, material=id_card, order=1, originals=1, copies=2, deferrable_material=True, notes="夫妻双方"
    )
    body = _json(client.get("/api/matters/BDC001"))
    assert MATTER_FIELDS <= set(body)
    assert body["department"] == "zrzy" and body["zones"] == ["estate", "general"]
    assert body["fee"] == "80.00" and body["legal_limit"] == "30.0"
    assert body["life_events"] == ["house"]
    assert body["materials"] == [
        {
            "material": "idcard",
            "name": "身份证明",
            "required": True,
            "core": False,
            "originals": 1,
            "copies": 2,
            "deferrable": True,
            "pledgeable": False,
            "notes": "夫妻双方",
        },
        {
            "material": "deed",
            "name": "不动产权证书",
            "required": True,
            "core": True,
            "originals": 1,
            "copies": 1,
            "deferrable": False,
            "pledgeable": False,
            "notes": "",
        },
    ]


def test_matter_detail_of_a_cancelled_matter_shows_its_status(client, hall):
    assert _json(client.get("/api/matters/OLD001"))["status"] == "cancelled"


@pytest.mark.parametrize("code", ["NOPE", "bdc001x", "%00", "%FF", "%E4%B8%8D", "a%20b", "x" * 300, "%27%20OR%201%3D1"])
@pytest.mark.parametrize("suffix", ["", "/notice"])
def test_unknown_matter_is_404_json(client, hall, code, suffix):
    body = _error(client.get(f"/api/matters/{code}{suffix}"), 404)
    assert "unknown matter" in body["detail"]


def test_matter_notice(client, hall):
    matter = Matter.objects.get(code="GS001")
    MatterMaterialFactory(matter=matter, material=MaterialFactory(code="idcard", name="身份证明"), copies=1)
    body = _json(client.get("/api/matters/GS001/notice"))
    assert body == {
        "materials": [
            {
                "material": "idcard",
                "name": "身份证明",
                "originals": 1,
                "copies": 1,
                "required": True,
                "core": False,
                "deferrable": False,
                "pledgeable": False,
                "notes": [],
                "matters": ["GS001"],
            }
        ]
    }


# --- /api/bundles ---------------------------------------------------------------------------------------------


@pytest.fixture
def bundle(hall):
    transfer, water = Matter.objects.get(code="BDC001"), Matter.objects.get(code="GS001")
    id_card = MaterialFactory(code="idcard", name="身份证明")
    contract = MaterialFactory(code="contract", name="转移合同")
    tax = MaterialFactory(code="tax", name="完税凭证")
    MatterMaterialFactory(matter=transfer, material=id_card, order=1, originals=1, copies=1, deferrable=False)
    MatterMaterialFactory(matter=transfer, material=contract, order=2, originals=1, copies=0, deferrable_material=True)
    MatterMaterialFactory(matter=transfer, material=tax, order=3, originals=0, copies=1, pledgeable=True)
    MatterMaterialFactory(matter=water, material=id_card, order=1, originals=0, copies=3)
    MatterMaterialFactory(matter=water, material=contract, order=2, originals=1, copies=2, deferrable_material=True)
    made = BundleFactory(
        code="house-transfer",
        name="二手房转移登记+水电气暖过户",
        zone=hall["estate"],
        limit=Decimal("5"),
        life_event=hall["house"],
        matters=[transfer, water],
    )
    BundleFactory(code="gone", status=Matter.Status.CANCELLED, matters=[water])
    return made


def test_bundle_list(client, bundle):
    body = _json(client.get("/api/bundles"))
    assert body == [
        {
            "code": "house-transfer",
            "name": "二手房转移登记+水电气暖过户",
            "zone": "estate",
            "limit_unit": "working_days",
            "limit": "5.0",
            "matters": ["BDC001", "GS001"],
        }
    ]


def test_bundle_detail(client, bundle):
    body = _json(client.get("/api/bundles/house-transfer"))
    assert body["matters"] == ["BDC001", "GS001"]
    assert (body["zone"], body["zone_name"], body["life_event"], body["status"]) == (
        "estate",
        "不动产登记服务专区",
        "house",
        "in_use",
    )
    assert [m["code"] for m in body["items"]] == ["BDC001", "GS001"]
    assert set(body["items"][1]) == MATTER_FIELDS
    assert body["items"][1]["department"] == "water" and body["items"][1]["promised_limit"] == "0.5"


def test_bundle_notice_asks_for_each_material_once(client, bundle):
    lines = {line["material"]: line for line in _json(client.get("/api/bundles/house-transfer/notice"))["materials"]}
    assert list(lines) == ["idcard", "contract", "tax"]
    assert lines["idcard"]["matters"] == ["BDC001", "GS001"]
    assert (lines["idcard"]["originals"], lines["idcard"]["copies"]) == (1, 3)  # the maximum over the matters
    assert (lines["contract"]["originals"], lines["contract"]["copies"]) == (1, 2)
    assert lines["contract"]["deferrable"] is True  # both matters allow deferring it
    assert lines["tax"]["pledgeable"] is True and lines["tax"]["matters"] == ["BDC001"]
    assert set(lines["tax"]) == {
        "material",
        "name",
        "originals",
        "copies",
        "required",
        "core",
        "deferrable",
        "pledgeable",
        "notes",
        "matters",
    }


@pytest.mark.parametrize("code", ["gone", "nope", "%00", "%FF%FE", "a%20b"])
@pytest.mark.parametrize("suffix", ["", "/notice"])
def test_unknown_or_cancelled_bundle_is_404_json(client, bundle, code, suffix):
    body = _error(client.get(f"/api/bundles/{code}{suffix}"), 404)
    assert "unknown bundle" in body["detail"]


# --- Errors outside the endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/", "/api/nothing-here", "/api/matters/", "/api/matters/BDC001/extra/x"])
def test_unknown_api_paths_are_404_json(client, hall, path):
    assert "unknown API path" in _error(client.get(path), 404)["detail"]
    assert "unknown API path" in _error(client.post(path), 404)["detail"]  # no CSRF page, no HTML


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_wrong_method_is_405_json(client, hall, method):
    response = getattr(client, method)("/api/matters")
    body = _error(response, 405)
    assert method.upper() in body["detail"]
    assert response["Allow"] == "GET"


# --- OpenAPI and the docs page -----------------------------------------------------------------------------


def test_openapi_documents_decimals_as_strings(client):
    schema = _json(client.get("/api/openapi.json"))
    components = schema["components"]["schemas"]
    for name, fields in {
        "MatterOut": ["legal_limit", "promised_limit"],
        "MatterDetail": ["fee"],
        "BundleOut": ["limit"],
    }.items():
        for field in fields:
            prop = components[name]["properties"][field]
            assert prop["type"] == "string"
            assert "decimal" in prop["description"].lower()
    assert set(components["MatterOut"]["properties"]) == MATTER_FIELDS
    assert components["MatterOut"]["properties"]["status"]["enum"] == ["in_use", "suspended", "cancelled"]
    list_params = {p["name"] for p in schema["paths"]["/api/matters"]["get"]["parameters"]}
    assert list_params == {"search", "zone", "department", "life_event", "limit", "offset"}
    # Public endpoints carry no security requirement; /api/me takes a bearer token or the session.
    assert "security" not in schema["paths"]["/api/matters"]["get"]
    assert {next(iter(s)) for s in schema["paths"]["/api/me"]["get"]["security"]} == {"StaffToken", "SessionAuth"}


def test_docs_page_loads_only_local_assets_under_the_csp(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", html)
    assert sources, html
    assert all(src.startswith("/static/") for src in sources), sources
    assert "http://" not in html and "https://" not in html
    # Every script is either a local file or inert JSON data: nothing that the CSP would block.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert '"validatorUrl": null' in html  # no validator badge from validator.swagger.io
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    # The assets exist (served by whitenoise from ninja's static files).
    for src in sources:
        asset = client.get(src)
        assert asset.status_code == 200, src
        asset.close()


@pytest.mark.browser
def test_swagger_ui_renders_under_the_csp_in_a_browser(page, live_server, transactional_db, screenshot):
    violations, errors, outside = [], [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "yichuang" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/matters']")
    assert page.locator(".opblock").count() >= 7
    screenshot(page, "api-docs")
    # "Try it out" works: the request goes to this server (connect-src 'self').
    page.click(".opblock-summary-path[data-path='/api/matters']")
    page.click(".try-out__btn")
    page.click(".execute")
    page.wait_for_selector(".live-responses-table tr.response .response-col_status")
    assert page.inner_text(".live-responses-table tr.response .response-col_status").strip() == "200"
    violations = page.evaluate("window.__csp || []")
    assert violations == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    assert outside == []


@pytest.mark.browser
def test_swagger_try_it_out_on_me_uses_the_staff_session(page, staff_login, transactional_db):
    staff_login(UserFactory(window_clerk=True, username="clerk1"))
    page.goto("/api/docs")
    page.click(".opblock-summary-path[data-path='/api/me']")
    page.click(".opblock.is-open .try-out__btn")
    page.click(".opblock.is-open .execute")
    page.wait_for_selector(".live-responses-table tr.response .response-col_status")
    assert page.inner_text(".live-responses-table tr.response .response-col_status").strip() == "200"
    assert '"clerk1"' in page.inner_text(".live-responses-table tr.response .response-col_description")


def test_openapi_documents_every_answer_an_endpoint_gives(client):
    """What schemathesis checks: each status an endpoint answers with, and which filter values it accepts."""
    schema = _json(client.get("/api/openapi.json"))
    paths = schema["paths"]
    for path in [
        "/api/matters/{code}",
        "/api/matters/{code}/notice",
        "/api/bundles/{code}",
        "/api/bundles/{code}/notice",
    ]:
        assert set(paths[path]["get"]["responses"]) == {"200", "404"}, path
    assert set(paths["/api/matters"]["get"]["responses"]) == {"200", "422"}
    assert set(paths["/api/me"]["get"]["responses"]) == {"200", "401"}
    components = schema["components"]["schemas"]
    assert set(components["InvalidOut"]["properties"]) == {"detail", "errors"}
    params = {p["name"]: p["schema"] for p in paths["/api/matters"]["get"]["parameters"]}
    for name in ("zone", "department", "life_event"):
        assert re.fullmatch(params[name]["pattern"], " a-b.c_1 ") and not re.search(params[name]["pattern"], "a b")
    assert not re.search(params["search"]["pattern"], "a\x00b") and re.search(params["search"]["pattern"], "企业 开办")
