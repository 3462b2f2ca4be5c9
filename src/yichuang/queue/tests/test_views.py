"""Pages: start-page links, the kiosk, the ticket and mobile pages, the desk's seating and refusals."""

import pytest
from django.test import Client

from yichuang.organisation.tests.factories import UserFactory
from yichuang.queue import services
from yichuang.queue.models import Ticket

pytestmark = pytest.mark.django_db


def test_start_page_lists_the_queue_screens(hall):
    page = Client().get("/").content.decode()
    for label, url in (
        ("取号机", "/kiosk/hall/"),
        ("窗口叫号", "/desk/"),
        ("显示屏", "/display/hall/"),
        ("预约", "/booking/hall/"),
    ):
        assert label in page and f'href="{url}"' in page


def test_kiosk_ticket_and_mobile_pages(hall):
    client = Client()
    assert "综合审批服务区" in client.get("/kiosk/hall/").content.decode()
    response = client.post("/kiosk/hall/take/", {"zone": "za", "phone": "13812345678", "priority": "1"}, follow=True)
    html = response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.priority and ticket.number in html and "138****5678" in html and "13812345678" not in html
    assert "<svg" in html  # the QR code, inline
    mobile = client.get(f"/t/{ticket.token}/").content.decode()
    assert ticket.number in mobile and "13812345678" not in mobile
    status = client.get(f"/t/{ticket.token}/status/").json()
    assert status["number"] == ticket.number and status["ahead"] == 0 and "phone" not in status
    assert client.get("/t/not-a-token/").status_code == 404
    assert client.post("/kiosk/hall/take/", {"zone": "nope"}).status_code == 404
    bad = client.post("/kiosk/hall/take/", {"zone": "za", "phone": "123"}, follow=True).content.decode()
    assert "11 位手机号码" in bad and Ticket.objects.count() == 1


def test_display_feed_announces_calls_after_the_cursor(hall):
    client = Client()
    first = client.get("/display/hall/feed/").json()
    ticket = services.issue_ticket(hall.a)
    window = hall.windows[0]
    services.call_next(window, hall.clerk_at(window))
    feed = client.get(f"/display/hall/feed/?since={first['cursor']}").json()
    assert [(c["number"], c["window"], c["text"], c["speech"]) for c in feed["announce"]] == [
        (ticket.number, 1, "请 A001 号到 1 号窗口", "请A零零一号到1号窗口")
    ]
    row = next(w for w in feed["windows"] if w["number"] == 1)
    assert row["ticket"] == ticket.number
    again = client.get(f"/display/hall/feed/?since={feed['cursor']}").json()
    assert again["announce"] == []
    assert client.get("/display/hall/feed/?since=abc").status_code == 200


def test_desk_needs_login_a_window_role_and_a_seat(hall):
    client = Client()
    assert client.get("/desk/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/desk/").status_code == 403
    clerk = UserFactory(window_clerk=True)
    client.force_login(clerk)
    page = client.get("/desk/").content.decode()
    assert "尚未入座" in page  # every window of the hall is taken by the fixture's clerks
    client.force_login(hall.clerk_at(hall.windows[0]))
    page = client.get("/desk/").content.decode()
    assert "叫下一位" in page and "1 号窗口" in page
