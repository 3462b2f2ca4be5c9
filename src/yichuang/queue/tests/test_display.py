"""The display board's content (queries.display_zones, queries.display_state) and its pages: the windows working
now, by zone; a board per zone or area (?zone=code,code); the list of boards."""

import pytest
from django.test import Client

from yichuang.organisation import services as org_services
from yichuang.organisation.models import Zone
from yichuang.organisation.tests.factories import SiteFactory, WindowFactory, ZoneFactory
from yichuang.queue import queries, services

pytestmark = pytest.mark.django_db


def test_display_zones_all_one_or_an_area_in_the_halls_order(hall):
    assert queries.display_zones(hall.site, None) == [hall.a, hall.b]
    assert queries.display_zones(hall.site, "") == [hall.a, hall.b]
    assert queries.display_zones(hall.site, "zb") == [hall.b]
    assert queries.display_zones(hall.site, " zb , za ,") == [hall.a, hall.b]  # the hall's order, not the URL's
    with pytest.raises(Zone.DoesNotExist, match="nope"):
        queries.display_zones(hall.site, "za,nope")
    other = ZoneFactory(site=SiteFactory(code="other"), code="zc")
    with pytest.raises(Zone.DoesNotExist):  # another site's zone is not this board's
        queries.display_zones(hall.site, other.code)


def test_display_state_shows_the_windows_working_now_by_zone(hall):
    empty = WindowFactory(zone=hall.a, number=3)  # nobody sits there
    closed = WindowFactory(zone=hall.b, number=6)
    org_services.take_seat(hall.clerks[0], closed)  # moved to window 6 (so window 1 is empty) …
    closed.is_open = False  # … which the hall then closes: not on the board
    closed.save(update_fields=["is_open"])
    services.issue_ticket(hall.a)
    services.issue_ticket(hall.b)
    services.issue_ticket(hall.b)
    called = services.call_next(hall.windows[2], hall.clerk_at(hall.windows[2]))  # window 5, zone B

    state = queries.display_state(hall.site)
    assert [(z["code"], z["letter"], z["waiting"], [w["number"] for w in z["windows"]]) for z in state["zones"]] == [
        ("za", "A", 1, [2]),
        ("zb", "B", 1, [5]),
    ]
    assert state["zones"][1]["windows"][0]["ticket"] == called.number
    assert empty.number not in [w["number"] for w in state["windows"]] and state["waiting"] == 2
    assert [w["number"] for w in state["windows"]] == [2, 5]  # the flat list, as before, for older screens

    # The clerk of window 5 leaves with the ticket still called there: the window stays until it is finished.
    org_services.leave_seat(hall.clerk_at(hall.windows[2]))
    assert [w["number"] for w in queries.display_state(hall.site)["windows"]] == [2, 5]
    org_services.take_seat(hall.clerk_at(hall.windows[2]), hall.windows[2])  # back, to finish it, and gone again
    services.finish(called, hall.clerk_at(hall.windows[2]))
    org_services.leave_seat(hall.clerk_at(hall.windows[2]))
    assert [z["code"] for z in queries.display_state(hall.site)["zones"]] == ["za"]  # zone B: nobody, not shown


def test_a_zones_board_shows_and_announces_only_that_zone(hall):
    first = queries.display_state(hall.site, since=0, zones=[hall.b])
    a_ticket, b_ticket = services.issue_ticket(hall.a), services.issue_ticket(hall.b)
    services.issue_ticket(hall.a)
    services.call_next(hall.windows[0], hall.clerk_at(hall.windows[0]))
    services.call_next(hall.windows[2], hall.clerk_at(hall.windows[2]))

    state = queries.display_state(hall.site, since=first["cursor"], zones=[hall.b])
    assert [z["code"] for z in state["zones"]] == ["zb"] and [w["number"] for w in state["windows"]] == [5]
    assert [c["number"] for c in state["announce"]] == [b_ticket.number]
    assert [c["number"] for c in state["recent"]] == [b_ticket.number]
    assert state["waiting"] == 0  # zone A's waiting ticket is not counted here
    whole = queries.display_state(hall.site, since=first["cursor"])
    assert {c["number"] for c in whole["announce"]} == {a_ticket.number, b_ticket.number} and whole["waiting"] == 1


def test_board_pages_per_zone_and_the_list_of_boards(hall):
    client = Client()
    page = client.get("/display/hall/?zone=zb").content.decode()
    assert "不动产登记服务专区" in page and 'data-zone="zb"' in page and 'data-rotate="10"' in page
    assert 'data-zone=""' in client.get("/display/hall/").content.decode()
    assert 'data-rotate="120"' in client.get("/display/hall/?rotate=9999").content.decode()
    assert 'data-rotate="10"' in client.get("/display/hall/?rotate=abc").content.decode()
    missing = client.get("/display/hall/?zone=nope")
    assert missing.status_code == 404
    assert client.get("/display/hall/feed/?zone=nope").status_code == 404

    services.issue_ticket(hall.a)
    feed = client.get("/display/hall/feed/?since=0&zone=zb").json()
    assert [z["code"] for z in feed["zones"]] == ["zb"] and feed["waiting"] == 0

    boards = client.get("/display/hall/boards/").content.decode()
    assert 'href="/display/hall/"' in boards
    assert 'href="/display/hall/?zone=za"' in boards and 'href="/display/hall/?zone=zb"' in boards
    assert "此刻 2 个窗口在岗" in boards and "此刻 1 个窗口在岗" in boards
    assert client.get("/display/nope/boards/").status_code == 404
