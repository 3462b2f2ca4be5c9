"""The page, its export and the API: access, the period, sorting, the workbook's rows."""

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory

NOV = "from=2026-11-01&to=2026-12-01"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def test_supervisor_sees_every_row(month):
    response = client_for(month.supervisor).get(f"/performance/?{NOV}&by=staff")
    assert response.status_code == 200
    html = response.content.decode()
    for user in (month.clerk, month.clerk2, month.gclerk, month.police_officer):
        assert f'data-key="{user.pk}"' in html
    assert "满意率 = 评价等级为“满意”（4）或“非常满意”（5）的评价数 ÷ 评价总数" in html
    assert 'id="chart-satisfaction"' in html and "<rect" in html
    assert "<script" not in html.split("</head>", 1)[1]  # no inline script in the body (CSP)


def test_hall_admin_sees_the_page(month):
    assert client_for(month.hall.admin).get("/performance/").status_code == 200


@pytest.mark.parametrize("who", ["clerk", "samr_officer"])
def test_others_are_refused(month, who):
    client = client_for(getattr(month, who))
    assert client.get("/performance/").status_code == 403
    assert client.get(f"/performance/export.xlsx?{NOV}").status_code == 403


def test_auditor_is_refused(month):
    auditor = UserFactory(roles=["auditor"], username="aud")
    assert client_for(auditor).get("/performance/").status_code == 403


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/performance/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lead_sees_only_their_department(month):
    response = client_for(month.lead).get(f"/performance/?{NOV}&by=department")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="scope-note"' in html
    assert f'data-key="{month.hall.samr.pk}"' in html and "县税务局" not in html


def test_sort_links_and_order(month):
    html = client_for(month.supervisor).get(f"/performance/?{NOV}&by=staff&sort=-satisfaction").content.decode()
    keys = re.findall(r'<tr data-key="(\d*)"', html)
    assert keys[:3] == [str(month.gclerk.pk), str(month.clerk.pk), str(month.clerk2.pk)]
    assert 'aria-sort="descending" data-column="satisfaction"' in html
    ascending = "?" + NOV.replace("&", "&amp;") + "&amp;by=staff&amp;sort=satisfaction"
    assert ascending in html  # a second click on the sorted column sorts ascending


def test_bad_period_falls_back_to_this_month_with_the_error(month):
    response = client_for(month.supervisor).get("/performance/?from=2026-12-01&to=2026-11-01")
    assert response.status_code == 200 and 'id="period-error"' in response.content.decode()
    assert client_for(month.supervisor).get("/performance/export.xlsx?from=x&to=y").status_code == 422


def test_export_opens_with_the_table_rows(month):
    response = client_for(month.supervisor).get(f"/performance/export.xlsx?{NOV}&by=zone&sort=-tickets")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "performance-zone-20261101-20261130.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "2026-11-01 — 2026-11-30"
    assert rows[1][:3] == ("服务区", "备注", "办结排队号")
    body = {r[0]: r for r in rows[2:]}
    enterprise, general = body["企业开办服务专区"], body["综合审批服务区"]
    # name, note, tickets, handling, waiting, submissions, within, past, within %, ratings, level, satisfaction %, bad
    assert enterprise[2:] == (3, 20, 20, 2, 2, 0, 100, 5, 3, 40, 2, 0)  # … bad ratings, assisted submissions
    assert general[2:] == (1, None, 5, 1, 0, 1, 0, 1, 5, 100, 0, 0)
    assert rows[-1][0] == "合计" and rows[-1][2] == 4 and len(rows) == 2 + 3 + 1  # two zones, online, total


def test_export_of_a_lead_has_only_their_department(month):
    response = client_for(month.lead).get(f"/performance/export.xlsx?{NOV}&by=department")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[2:]] == ["县市场监督管理局", "合计"]


def test_start_page_links_the_page_for_those_who_may_see_it(month):
    assert "/performance/" in client_for(month.supervisor).get("/").content.decode()
    assert "/performance/" not in client_for(month.clerk).get("/").content.decode()


def test_api_figures(month):
    response = token_client(month.supervisor).get(f"/api/performance?{NOV}&by=zone")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["from"], data["to"], data["by"]) == ("2026-11-01", "2026-12-01", "zone")
    rows = {r["key"]: r for r in data["rows"]}
    enterprise = rows[month.hall.enterprise.pk]
    assert (enterprise["tickets"], enterprise["handling_minutes"], enterprise["within_limit"]) == (3, 20, 2)
    assert (enterprise["satisfaction_rate"], enterprise["bad"]) == (40, 2)
    assert data["total"]["ratings"] == 6


def test_api_lead_scope(month):
    data = token_client(month.lead).get(f"/api/performance?{NOV}&by=department").json()
    assert [r["key"] for r in data["rows"]] == [month.hall.samr.pk]


@pytest.mark.parametrize(
    "query", ["from=2026-11-02&to=2026-11-01", "from=nope&to=2026-12-01", f"{NOV}&by=site", "from=2026-11-01"]
)
def test_api_422(month, query):
    response = token_client(month.supervisor).get(f"/api/performance?{query}")
    assert response.status_code == 422 and response.json()["detail"]


def test_api_403_and_401(month):
    assert token_client(month.clerk).get(f"/api/performance?{NOV}").status_code == 403
    assert Client().get(f"/api/performance?{NOV}").status_code == 401
