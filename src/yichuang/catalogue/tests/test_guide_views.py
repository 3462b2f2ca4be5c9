"""The public guide: search, browsing, matter and bundle pages, notices, the published window scope."""

import re

import pytest
from django.apps import apps
from django.urls import reverse

from .factories import MatterFactory
from .guide_fixtures import build_small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat():
    return build_small_catalogue()


def result_names(response) -> list[str]:
    return [m.name for m in response.context["results"]]


def material_rows(html: str) -> dict[str, list[str]]:
    """Rows of the merged material table by material code (a list, so that a repeated row shows)."""
    rows: dict[str, list[str]] = {}
    for code, body in re.findall(r'<tr data-material="([^"]+)">(.*?)</tr>', html, flags=re.S):
        rows.setdefault(code, []).append(body)
    return rows


# --- search ---------------------------------------------------------------------------------------


def test_search_finds_two_character_word(client, cat):
    response = client.get("/guide/", {"q": "登记"})
    assert response.status_code == 200
    names = result_names(response)
    assert {"企业设立登记", "不动产转移登记", "广告发布登记"} <= set(names)
    assert "公章刻制备案" not in names
    assert "已撤销的旧登记事项" not in names  # cancelled matters are not offered
    assert response.context["result_count"] == 3
    assert "找到 3 个事项" in response.content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("qysldj", {"企业设立登记"}),  # pinyin initials
        ("dengji", {"企业设立登记", "不动产转移登记", "广告发布登记"}),  # full pinyin
        ("ＱＹＳＬＤＪ", {"企业设立登记"}),  # full-width letters from a Chinese input method
        ("营业执照", {"企业设立登记"}),  # keyword
        ("不动产 登记", {"不动产转移登记"}),  # every term must match
        ("县公安局", {"公章刻制备案", "户口迁移"}),  # department name
    ],
)
def test_search_by_pinyin_keywords_and_terms(client, cat, query, expected):
    assert set(result_names(client.get("/guide/", {"q": query}))) == expected


def test_search_offers_bundles_by_name_and_pinyin(client, cat):
    for query in ("企业开办", "qykb", "kaiban"):
        response = client.get("/guide/", {"q": query})
        assert [b.code for b in response.context["bundle_results"]] == ["qiyekaiban"], query
        assert reverse("catalogue:bundle", args=["qiyekaiban"]) in response.content.decode()


def test_search_results_show_department_limit_and_tags(client, cat):
    html = client.get("/guide/", {"q": "发票"}).content.decode()
    assert "县税务局" in html and "即办件" in html and "可网办" in html
    html = client.get("/guide/", {"q": "广告"}).content.decode()
    assert "暂停受理" in html


@pytest.mark.parametrize(
    "query", ["%", "_", "\x00登记", "登" * 5000, "a " * 300, "'; drop table catalogue_matter; --", "\u200b", "<script>"]
)
def test_absurd_queries_give_a_page_never_an_error(client, cat, query):
    response = client.get("/guide/", {"q": query})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 64
    if query in ("%", "_", "'; drop table catalogue_matter; --", "<script>"):
        assert response.context["results"] == []
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_nul_is_dropped_not_sent_to_the_database(client, cat):
    response = client.get("/guide/", {"q": "\x00登记"})
    assert response.context["result_count"] == 3


def test_search_page_query_count_does_not_grow_with_results(client, cat, django_assert_max_num_queries):
    # The synonyms and theme names in the query (2), the page (1), its departments (1), the bundles (3); a query
    # of several concepts counts how many matters meet each (1 more).
    with django_assert_max_num_queries(7):
        client.get("/guide/", {"q": "登记"})
    for i in range(20):
        MatterFactory(name=f"食品经营许可证登记{i}", department=cat["setup"].department)
    with django_assert_max_num_queries(8):
        response = client.get("/guide/", {"q": "不动产 登记"})
    assert response.context["result_count"] == 1


def test_guide_home_browses_by_zone_department_and_life_event(client, cat):
    response = client.get("/guide/")
    html = response.content.decode()
    assert response.status_code == 200
    for url in (
        reverse("catalogue:zone", args=["enterprise"]),
        reverse("catalogue:department", args=["samr"]),
        reverse("catalogue:life-event", args=["start-business"]),
        reverse("catalogue:bundle", args=["qiyekaiban"]),
        reverse("catalogue:windows"),
    ):
        assert url in html
    assert '<label for="guide-q">' in html


def test_listing_pages(client, cat):
    zone = client.get(reverse("catalogue:zone", args=["enterprise"]))
    assert {m.name for m in zone.context["matters"]} == {"企业设立登记", "公章刻制备案", "发票申领", "广告发布登记"}
    dept = client.get(reverse("catalogue:department", args=["police"]))
    assert {m.name for m in dept.context["matters"]} == {"公章刻制备案", "户口迁移"}
    event = client.get(reverse("catalogue:life-event", args=["start-business"]))
    assert [m.name for m in event.context["matters"]] == ["企业设立登记"]
    assert "企业开办" in event.content.decode()  # the bundle of that life event


# --- matter page ----------------------------------------------------------------------------------


def test_matter_page_has_everything_a_person_needs(client, cat):
    response = client.get(reverse("catalogue:matter", args=["411624-SAMR-001"]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "企业设立登记",
        "县市场监督管理局",
        "企业开办服务专区",
        "1 号",
        "2 号",
        "申请人应具备完全民事行为能力",
        "企业设立登记申请书",
        "可容缺",
        "可承诺",
        "租赁合同或产权证明",
        "市场主体登记管理条例",
        "审核发照",
        "4 工作小时",
        "不收费",
        "可网上办理",
    ):
        assert text in html, text
    assert reverse("catalogue:matter-notice", args=["411624-SAMR-001"]) in html
    assert reverse("catalogue:bundle", args=["qiyekaiban"]) in html
    assert "11 号" not in html  # another zone's window


def test_matter_page_fee_and_limits(client, cat):
    html = client.get(reverse("catalogue:matter", args=["411624-ZR-004"])).content.decode()
    assert "80 元" in html and "住宅每件 80 元" in html
    assert "30 工作日" in html and "5 工作日" in html
    assert "11 号" in html and "12 号" not in html  # the cashier window takes nothing in


def test_specialized_matter_points_to_its_specialized_window(client, cat):
    response = client.get(reverse("catalogue:matter", args=["411624-GA-006"]))
    places = response.context["places"]
    assert [(p.zone.code, [w.number for w in p.windows]) for p in places] == [("general", [41])]
    assert "专业窗口" in response.content.decode()


def test_delegated_matter_says_the_window_receives_for_the_department(client, cat):
    html = client.get(reverse("catalogue:matter", args=["411624-MZ-005"])).content.decode()
    assert "综合窗口代县民政局收件" in html
    assert "21 号" in html and "22 号" in html


def test_suspended_matter_says_it_is_not_taken_in(client, cat):
    html = client.get(reverse("catalogue:matter", args=["411624-SAMR-007"])).content.decode()
    assert "本事项暂停受理，目前不能申请" in html
    notice = client.get(reverse("catalogue:matter-notice", args=["411624-SAMR-007"])).content.decode()
    assert "暂停受理" in notice


def test_cancelled_matter_page_says_so_and_has_no_notice(client, cat):
    html = client.get(reverse("catalogue:matter", args=["411624-SAMR-008"])).content.decode()
    assert "本事项已取消，不再受理" in html
    assert reverse("catalogue:matter-notice", args=["411624-SAMR-008"]) not in html
    assert client.get(reverse("catalogue:matter-notice", args=["411624-SAMR-008"])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/guide/matters/NOPE/",
        "/guide/matters/NOPE/notice/",
        "/guide/matters/NOPE/notice.pdf",
        "/guide/bundles/NOPE/",
        "/guide/bundles/NOPE/notice/",
        "/guide/bundles/NOPE/notice.pdf",
        "/guide/zones/NOPE/",
        "/guide/departments/NOPE/",
        "/guide/life-events/NOPE/",
        "/guide/matters/%E7%99%BB%E8%AE%B0/",
        "/guide/matters/" + "x" * 3000 + "/",
        "/guide/matters/a%00b/",
    ],
)
def test_unknown_codes_are_404(client, cat, url):
    assert client.get(url).status_code == 404


# --- bundles --------------------------------------------------------------------------------------


def test_bundle_list(client, cat):
    html = client.get(reverse("catalogue:bundles")).content.decode()
    assert "企业开办" in html and "4 工作小时" in html and "含 3 个事项" in html


def test_bundle_page_lists_matters_in_order_and_merged_materials(client, cat):
    response = client.get(reverse("catalogue:bundle", args=["qiyekaiban"]))
    html = response.content.decode()
    assert [m.code for m in response.context["matters"]] == ["411624-SAMR-001", "411624-GA-002", "411624-SW-003"]
    section = html.split('id="matters-heading"', 1)[1]
    assert section.index("企业设立登记") < section.index("公章刻制备案") < section.index("发票申领")
    assert "县公安局" in html and "县税务局" in html and "4 工作小时" in html
    rows = material_rows(html)
    assert len(rows["ID"]) == 1 and len(rows["LICENCE"]) == 1
    assert reverse("catalogue:bundle-notice", args=["qiyekaiban"]) in html


# --- one-time notice ------------------------------------------------------------------------------


def test_bundle_notice_lists_each_material_once_with_max_counts_and_its_matters(client, cat):
    response = client.get(reverse("catalogue:bundle-notice", args=["qiyekaiban"]))
    html = response.content.decode()
    assert response.status_code == 200
    rows = material_rows(html)
    assert set(rows) == {"ID", "SETUP-FORM", "ARTICLES", "PREMISES", "LICENCE"}
    assert all(len(r) == 1 for r in rows.values())
    id_row = rows["ID"][0]
    assert "申请人身份证明" in id_row
    # originals: max(1, 1, 0) = 1; copies: max(1, 2, 1) = 2
    cells = re.findall(r"<td[^>]*>(.*?)</td>", id_row, flags=re.S)
    assert "1 份" in cells[1] and "2 份" in cells[2]
    for code in ("411624-SAMR-001", "411624-GA-002", "411624-SW-003"):
        assert code in id_row
    licence_row = rows["LICENCE"][0]
    assert "411624-GA-002" in licence_row and "411624-SW-003" in licence_row and "411624-SAMR-001" not in licence_row
    # The hall, its phone, the date, where to go, limits, print button
    for text in (
        "沈丘县政务服务中心",
        "0394-5212345",
        "告知日期",
        "企业开办服务专区",
        "一件事整体办结时限",
        "data-print",
    ):
        assert text in html, text
    assert html.count("一次性告知书") >= 1


def test_matter_notice(client, cat):
    response = client.get(reverse("catalogue:matter-notice", args=["411624-ZR-004"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert set(material_rows(html)) == {"ID", "DEED"}
    assert "不动产登记服务专区" in html and "11 号" in html and "承诺 5 工作日" in html and "80 元" in html


def test_notice_without_default_site_still_renders(client, cat):
    site = cat["site"]
    site.is_default = False
    site.save()
    assert client.get(reverse("catalogue:bundle-notice", args=["qiyekaiban"])).status_code == 200


# --- published window scope, start page ---------------------------------------------------------


def test_windows_page_publishes_each_zones_intake_windows_and_matters(client, cat):
    response = client.get(reverse("catalogue:windows"))
    scopes = {s.zone.code: s for s in response.context["scopes"]}
    assert [w.number for w in scopes["enterprise"].windows] == [1, 2]
    assert {m.code for m in scopes["enterprise"].matters} == {"411624-SAMR-001", "411624-GA-002", "411624-SW-003"}
    assert [w.number for w in scopes["realty"].windows] == [11]  # not the cashier window
    # Only matters taken in by comprehensive windows: not the specialized-only one, not suspended or cancelled
    assert {m.code for m in scopes["general"].matters} == {"411624-MZ-005"}
    html = response.content.decode()
    assert 'id="zone-enterprise"' in html and "综合窗口受理事项范围" in html


def test_start_page_surfaces_link_the_guide(rf):
    group = apps.get_app_config("catalogue").surfaces(rf.get("/"))
    links = {str(link["label"]): link["url"] for link in group["links"]}
    assert str(group["title"]) == "办事指南"
    assert links == {
        "办事指南": reverse("catalogue:guide"),
        "一件事": reverse("catalogue:bundles"),
        "窗口受理事项公开": reverse("catalogue:windows"),
    }


def test_a_full_page_of_results_still_counts_them_all(client, cat):
    from yichuang.catalogue import queries

    from .factories import MatterFactory

    for i in range(57):
        MatterFactory(name=f"食品经营许可证登记{i}", department=cat["setup"].department)
    results, total = queries.search_page("登记", limit=50)
    assert len(results) == 50 and total == 60
    assert all("登记" in m.name for m in results)
    response = client.get("/guide/", {"q": "登记"})
    assert response.context["result_count"] == 60 and len(response.context["results"]) == 50
    assert "只显示前 50 项" in response.content.decode()
    assert queries.search_page("火星移民") == ([], 0)
