"""The live hall's figures, hot and cold, the one cached state shared by every viewer, and who may see it."""

import pytest
from django.test import override_settings
from django.urls import reverse

from yichuang.feedback import services as feedback
from yichuang.hall import queries
from yichuang.hall.queries import window_heat, zone_heat
from yichuang.organisation.tests.factories import UserFactory
from yichuang.queue import services as queue

pytestmark = pytest.mark.django_db


def serve(hall, window, *, minutes_at_window, clock, start):
    """One ticket of the window's zone called at `start` (h, m) and finished `minutes_at_window` later."""
    clock(*start)
    queue.issue_ticket(window.zone)
    ticket = queue.call_next(window, hall.clerk_at(window))
    queue.start_serving(ticket, hall.clerk_at(window))
    h, m = start
    clock(h + (m + minutes_at_window) // 60, (m + minutes_at_window) % 60)
    return queue.finish(ticket, hall.clerk_at(window))


def zone(state, code):
    return next(z for z in state["zones"] if z["code"] == code)


def test_the_figures_of_a_morning(hall, clock):
    w1, w2, w5 = hall.windows
    serve(hall, w1, minutes_at_window=10, clock=clock, start=(9, 0))
    serve(hall, w1, minutes_at_window=6, clock=clock, start=(9, 10))
    serve(hall, w2, minutes_at_window=8, clock=clock, start=(9, 10))
    clock(9, 20)
    for _ in range(4):
        queue.issue_ticket(hall.a)
    queue.call_next(w1, hall.clerk_at(w1))  # window 1 serving, window 2 idle, three of A waiting since 09:20
    clock(9, 32)
    state = queries.compute(hall.site)
    a, b = zone(state, "za"), zone(state, "zb")
    assert (a["waiting"], a["longest_wait"], a["issued"], a["served"]) == (3, 12.0, 7, 3)
    assert (a["open"], a["staffed"], a["serving"], a["idle"]) == (2, 2, 1, 1)
    assert a["handling"] == 8.0  # (10 + 6 + 8) / 3 minutes
    assert (b["waiting"], b["longest_wait"], b["issued"], b["served"], b["handling"]) == (0, None, 0, 0, None)
    assert (b["staffed"], b["idle"], b["heat"]) == (1, 1, "cold")
    assert state["totals"] == {"waiting": 3, "issued": 7, "served": 3, "staffed": 3, "idle": 2, "pressure": 1.0}
    # Three waiting for two staffed windows of A (1.5) against 1.0 for the hall: hot.
    assert (a["pressure"], a["heat"]) == (1.5, "hot")
    windows = {w["number"]: w for w in a["windows"]}
    assert windows[1]["state"] == "serving" and windows[1]["ticket"].startswith("A") and windows[1]["served"] == 2
    assert windows[2]["state"] == "idle" and windows[2]["served"] == 1 and windows[2]["staff"] == "王员2"
    assert (windows[1]["load"], windows[2]["load"]) == (1.33, 0.67)  # 2 and 1 against a mean of 1.5
    # The day per half hour: 7 issued in 09:00–09:29.
    assert (state["slots"], state["issued_by_slot"]) == (["09:00"], [7])
    queue.issue_ticket(hall.b)  # 09:32: the next half hour
    state = queries.compute(hall.site)
    assert (state["slots"], state["issued_by_slot"]) == (["09:00", "09:30"], [7, 1])


def test_cases_and_ratings_of_today_with_each_bad_rating_listed(hall, clock):
    ticket = serve(hall, hall.windows[2], minutes_at_window=5, clock=clock, start=(9, 0))
    feedback.rate(level=1, channel="pad", ticket=ticket, window=hall.windows[2], comment="身份证 410101199001011234")
    other = serve(hall, hall.windows[0], minutes_at_window=5, clock=clock, start=(9, 10))
    feedback.rate(level=5, channel="pad", ticket=other, window=hall.windows[0])
    state = queries.compute(hall.site)
    ratings = state["ratings"]
    assert (ratings["count"], ratings["bad"], ratings["satisfaction"]) == (2, 1, 0.5)
    [bad] = ratings["bad_list"]
    assert bad["window"] == 5 and bad["staff"] == "王员5" and "410101199001011234" not in bad["comment"]
    assert state["cases"] == {"today": 0, "red": 0, "yellow": 0}


@pytest.mark.parametrize(
    ("waiting", "staffed", "idle", "hall_pressure", "expected"),
    [
        (6, 2, 0, 1.0, (3.0, "hot")),  # three a window, the hall one
        (3, 2, 0, 1.0, (1.5, "hot")),  # exactly HOT_RATIO
        (2, 2, 0, 1.0, (1.0, "even")),
        (4, 0, 0, 1.0, (None, "hot")),  # people wait and nobody staffs the zone
        (0, 2, 1, 1.0, (0.0, "cold")),  # an idle window and nobody waiting
        (0, 2, 0, 1.0, (0.0, "even")),  # both busy, nobody waiting
        (0, 0, 0, None, (None, "")),  # closed
    ],
)
def test_zone_heat(waiting, staffed, idle, hall_pressure, expected):
    assert zone_heat(waiting, staffed, idle, hall_pressure) == expected


@pytest.mark.parametrize(
    ("served", "mean", "serving", "expected"),
    [
        (15, 10.0, 3, (1.5, "hot")),
        (6, 10.0, 3, (0.6, "cold")),
        (10, 10.0, 3, (1.0, "even")),
        (20, 10.0, 1, (None, "")),  # one window alone has nothing to be compared with
        (0, None, 0, (None, "")),
    ],
)
def test_window_heat(served, mean, serving, expected):
    assert window_heat(served, mean, serving) == expected


@override_settings(HALL_LIVE_CACHE_SECONDS=2)
def test_one_computation_serves_every_viewer_for_the_cache_period(hall, clock, monkeypatch):
    calls = []
    real = queries.compute
    monkeypatch.setattr(queries, "compute", lambda site, now=None: calls.append(now) or real(site, now))
    clock(9, 30, 0)
    first = queries.live(hall.site)
    for _ in range(50):  # fifty dashboards polling within the same two seconds
        assert queries.live(hall.site) == first
    assert len(calls) == 1
    queue.issue_ticket(hall.a)
    clock(9, 30, 1)
    assert queries.live(hall.site)["totals"]["waiting"] == 0  # still the cached state…
    clock(9, 30, 2)
    assert queries.live(hall.site)["totals"]["waiting"] == 1  # …never older than two seconds
    assert len(calls) == 2


def test_the_page_and_feed_for_the_manager_and_the_supervisor_only(hall, client, clock):
    queue.issue_ticket(hall.b)
    for user in (hall.manager, hall.supervisor):
        client.force_login(user)
        page = client.get(reverse("hall:live"))
        assert page.status_code == 200
        assert b'data-zone="zb"' in page.content and "echarts.min.js" in page.content.decode()
        feed = client.get(reverse("hall:feed"), {"site": hall.site.code})
        assert feed.status_code == 200 and feed.json()["totals"]["waiting"] == 1
        assert feed.headers["Cache-Control"].startswith("max-age=0")
    for user in (hall.clerks[0], UserFactory(officer=True), UserFactory(lead=True)):
        client.force_login(user)
        for name in ("hall:live", "hall:feed"):
            response = client.get(reverse(name))
            assert response.status_code == 403 and "大厅管理员和督办人员" in response.content.decode()
    client.logout()
    assert client.get(reverse("hall:feed")).status_code == 302
    client.force_login(hall.manager)
    assert client.get(reverse("hall:feed"), {"site": "nowhere"}).status_code == 404


def test_acknowledging_from_the_page(hall, client, clock):
    from yichuang.hall.models import Alert

    ticket = serve(hall, hall.windows[2], minutes_at_window=5, clock=clock, start=(9, 0))
    feedback.rate(level=2, channel="pad", ticket=ticket, window=hall.windows[2])
    alert = Alert.objects.get()
    client.force_login(hall.clerks[0])
    assert client.post(reverse("hall:acknowledge", args=[alert.pk])).status_code == 403
    assert client.get(reverse("hall:acknowledge", args=[alert.pk])).status_code in (403, 405)
    client.force_login(hall.manager)
    response = client.post(reverse("hall:acknowledge", args=[alert.pk]), headers={"Accept": "application/json"})
    assert response.json() == {"id": alert.pk, "acknowledged": True, "by": hall.manager.display_name}
    assert client.get(reverse("hall:feed")).json()["alerts"][0]["acknowledged"] is True  # at once, not cached
    assert client.post(reverse("hall:acknowledge", args=[alert.pk + 99])).status_code == 404


def test_with_several_sites_each_sees_only_its_own_ratings(hall, clock):
    from yichuang.organisation import services as org_services
    from yichuang.organisation.tests.factories import SiteFactory, WindowFactory, ZoneFactory

    town = SiteFactory(code="town", name="槐店镇便民服务中心")
    window = WindowFactory(zone=ZoneFactory(site=town, code="tz", ticket_letter="T"), number=1)
    clerk = UserFactory(window_clerk=True)
    org_services.take_seat(clerk, window)
    queue.issue_ticket(window.zone)
    ticket = queue.call_next(window, clerk)
    queue.start_serving(ticket, clerk)
    feedback.rate(level=1, channel="pad", ticket=queue.finish(ticket, clerk), window=window)
    feedback.rate(level=5, channel="pad", ticket=serve(hall, hall.windows[0], minutes_at_window=3, clock=clock,
                                                          start=(9, 10)), window=hall.windows[0])  # fmt: skip
    county, township = queries.compute(hall.site), queries.compute(town)
    assert (county["ratings"]["count"], county["ratings"]["bad"]) == (1, 0)
    assert (township["ratings"]["count"], township["ratings"]["bad"]) == (1, 1)
    assert [z["code"] for z in township["zones"]] == ["tz"] and township["totals"]["staffed"] == 1
