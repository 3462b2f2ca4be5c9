"""/hall/capacity/: who may open it, the plan it shows, the what-ifs, the wait-estimate accuracy, and bad input shown
at its field (never a 500)."""

import datetime
import re

import pytest

from yichuang.hall.capacity import erlang
from yichuang.hall.capacity.accuracy import wait_accuracy
from yichuang.hall.capacity.history import period, zone_history
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory, ZoneFactory

from .capacity_data import build

pytestmark = pytest.mark.django_db
URL = "/hall/capacity/"
MONDAY = {"zone": "cap-a", "weekday": "1", "weeks": "4", "target": "80", "within": "10", "patience": "on"}


@pytest.fixture
def hall():
    return build(weeks=4)


def page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells (th and td) of a table."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]


def field_errors(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="err_{name}">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


# --- who may open it ---------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, hall):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_hall_admins_and_supervisors(client, hall):
    lead = UserFactory(lead=True)
    auditor = UserFactory(roles=[Role.AUDITOR])
    for user in (hall.clerk, lead, auditor):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 403
        assert "窗口承载力测算仅供大厅管理员和督办人员查看" in response.content.decode()
    for user in (hall.admin, hall.supervisor):
        assert "各服务区" in page(client, user)


# --- the plan -----------------------------------------------------------------------------------------------------


def test_every_zone_of_the_site_by_default(client, hall):
    html = page(client, hall.admin)
    rows = cells(html, "zone-table")
    assert [r[0] for r in rows] == ["综合受理区", "不动产专区"]
    roster = cells(html, "roster-table")
    assert len(roster) == 2 and len(roster[0]) == 1 + 14  # the zone and its 14 half hours


def test_a_zone_per_half_hour_by_erlang_c_and_a_and_simulated(client, hall):
    html = page(client, hall.admin, **MONDAY)
    start, end = period(4)
    history = zone_history(hall.a, 0, start, end)
    rows = cells(html, "slot-table")
    assert len(rows) == 14 and rows[0][0] == "09:00–09:30"
    for row, arrivals in zip(rows, history.arrivals, strict=True):
        c = erlang.minimum_windows(arrivals * 2, history.handle_minutes, 0.8, 10)
        a = erlang.minimum_windows(arrivals * 2, history.handle_minutes, 0.8, 10, history.patience_minutes)
        assert row[1] == f"{arrivals:.1f}"
        assert row[2] == str(c.windows) and row[3] == str(a.windows) and row[4] == str(a.windows)
        assert row[5] == f"{a.mean_wait_minutes:.1f}" and row[6] == f"{a.service_level * 100:.1f}%"
        assert row[7] == f"{a.p_abandon * 100:.1f}%"
        assert row[8].endswith("%")  # simulated share within the target
    assert "按方案仿真（20 天）" in html


def test_without_patience_the_plan_is_erlang_c(client, hall):
    params = {**MONDAY}
    del params["patience"]
    rows = cells(page(client, hall.admin, **params), "slot-table")
    assert all(r[3] == "—" and r[4] == r[2] and r[7] == "—" for r in rows)


def test_what_if_a_window_more_at_nine(client, hall):
    html = page(client, hall.admin, **MONDAY, change_by="1", change_slot="09:00")
    assert "假设：09:00–09:30增加 1 个窗口" in html
    plan_row, variant_row = cells(html, "variant-table")
    assert plan_row[0] == "原方案" and variant_row[0] == "09:00–09:30增加 1 个窗口"
    assert float(variant_row[1]) == float(plan_row[1]) + 0.5  # half an hour of one more window
    before = re.search(r"原方案窗口</th>(.*?)</tr>", html, re.S).group(1)
    after = re.search(r"调整后</th>(.*?)</tr>", html, re.S).group(1)
    first_before = int(re.findall(r"<td[^>]*>(\d+)</td>", before)[0])
    first_after = re.findall(r'<td( class="changed")?>(\d+)</td>', after)
    assert first_after[0] == (' class="changed"', str(first_before + 1))
    assert all(not cls for cls, _n in first_after[1:])  # only 09:00 changed


def test_what_if_merge_two_zones(client, hall):
    html = page(client, hall.admin, **MONDAY, merge_a="cap-a", merge_b="cap-b")
    headline = re.search(r'id="merge-headline">(.*?)</p>', html, re.S).group(1)
    before, after = (float(x) for x in re.search(r"由 ([\d.]+) 分钟降至 ([\d.]+) 分钟", headline).groups())
    assert after < before
    rows = cells(html, "merge-table")
    assert [r[0] for r in rows] == ["分设两个队列（现方案）", "合并后（窗口数不变）", "合并后（达标最少窗口）"]
    assert float(rows[2][1]) < float(rows[0][1])  # fewer window hours for the same target


def test_the_wait_estimate_accuracy_per_zone(client, hall):
    empty = ZoneFactory(site=hall.site, code="cap-empty", name="空闲区", ticket_letter="E", order=3)
    html = page(client, hall.admin)
    start, end = period(4)
    rows = {r[0]: r for r in cells(html, "accuracy-table")}
    assert set(rows) == {"综合受理区", "不动产专区", "空闲区"}
    figures = wait_accuracy(hall.a, start, end - datetime.timedelta(days=1))  # whole past days only
    row = rows["综合受理区"]
    assert row[1] == str(figures.tickets)
    assert row[2] == ("—" if figures.inside_share is None else f"{figures.inside_share * 100:.1f}%")
    assert row[3] == ("—" if figures.relative_squared_error is None else f"{figures.relative_squared_error:.2f}")
    assert rows["空闲区"][1:] == ["0", "—", "—", "—", "—", "—"]  # no history: nothing to measure
    assert empty.pk


def test_a_closed_weekday_needs_no_windows(client, hall):
    html = page(client, hall.admin, **{**MONDAY, "weekday": "7"})
    assert "星期日不开放，无需窗口" in html


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"weekday": "9"}, "weekday", "9"),
        ({"weeks": "0"}, "weeks", "1"),
        ({"weeks": "many"}, "weeks", "整数"),
        ({"weeks": "99999999999999999999"}, "weeks", "26"),
        ({"target": "100"}, "target", "99"),
        ({"within": "-1"}, "within", "0"),
        ({"within": "1e999"}, "within", ""),
        ({"patience_minutes": "0"}, "patience_minutes", "0.5"),
        ({"zone": "nowhere"}, "zone", "nowhere"),
        ({"merge_a": "cap-a"}, "merge_b", "请选择要合并的另一个服务区"),
        ({"merge_b": "cap-a"}, "merge_a", "请选择要合并的服务区"),
        ({"merge_a": "cap-a", "merge_b": "cap-a"}, "merge_b", "请选择两个不同的服务区"),
        ({"zone": "", "change_by": "1"}, "change_by", "窗口增减请先选择一个服务区"),
        ({"change_by": "7"}, "change_by", "7"),
        ({"change_by": "1", "change_slot": "12:30"}, "change_slot", "所选时段不在该日的开放时间内"),
    ],
)
def test_bad_input_is_shown_at_its_field(client, hall, params, field, message):
    html = page(client, hall.admin, **{**MONDAY, **params})
    errors = field_errors(html, field)
    assert errors, f"no message at {field}"
    assert message in errors
    if field != "change_slot":  # a what-if's slot is checked against the plan: the plan is still shown
        assert 'id="slot-table"' not in html


def test_a_nul_byte_is_refused_without_a_500(client, hall):
    client.force_login(hall.admin)
    response = client.get(URL, {**MONDAY, "zone": "cap-a\x00"})
    assert response.status_code in (200, 400, 422)


def test_a_lead_of_a_department_is_refused_even_with_the_form(client, hall):
    lead = UserFactory(lead=True, department=DepartmentFactory())
    client.force_login(lead)
    assert client.get(URL, MONDAY).status_code == 403
