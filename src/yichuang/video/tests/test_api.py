"""The video API and pages: who may do what, and every refusal a 4xx with a reason."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from yichuang.intake.tests.helpers import T0
from yichuang.video import services
from yichuang.video.models import Booking, Call

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    with time_machine.travel(T0, tick=True):
        yield


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_a_citizens_call_from_placing_to_hang_up(people):
    citizen = Client()
    placed = post(citizen, "/api/video/calls", {"name": "张三"})
    assert placed.status_code == 201, placed.content
    info = placed.json()
    assert info["side"] == "caller" and info["status"] == "ringing" and info["ice_servers"] == []
    assert info["signals_url"] == f"/api/video/calls/{info['token']}/signals"
    assert (
        post(citizen, info["signals_url"], {"kind": "offer", "payload": {"type": "offer", "sdp": "v=0"}}).status_code
        == 201
    )

    consultant = client_for(people.consultant)
    ringing = consultant.get("/api/video/staff/ringing").json()
    assert [(r["id"], r["caller"]) for r in ringing] == [(info["id"], "张三")]
    answered = post(consultant, ringing[0]["answer_url"])
    assert answered.status_code == 200
    staff = answered.json()
    assert staff["side"] == "callee" and staff["token"] is None
    assert staff["consultation_url"].endswith(f"video_call={info['id']}")

    polled = consultant.get(staff["signals_url"] + "?after=0").json()
    assert polled["status"] == "active" and [s["kind"] for s in polled["signals"]] == ["offer"]
    last = polled["signals"][-1]["id"]
    assert consultant.get(staff["signals_url"] + f"?after={last}").json()["signals"] == []
    assert post(consultant, staff["signals_url"], {"kind": "answer", "payload": {"type": "answer"}}).status_code == 201
    assert [s["kind"] for s in citizen.get(info["signals_url"]).json()["signals"]] == ["answer"]

    hung = post(citizen, info["hangup_url"])
    assert hung.status_code == 200 and hung.json()["status"] == "ended"
    seen = consultant.get(staff["signals_url"] + f"?after={last}").json()
    assert seen["status"] == "ended" and [s["kind"] for s in seen["signals"]] == ["hangup"]
    refused = post(consultant, staff["signals_url"], {"kind": "ice", "payload": {"candidate": ""}})
    assert refused.status_code == 409 and "通话已结束" in refused.json()["detail"]


def test_a_second_answer_is_a_409_with_the_reason(people):
    call = services.place_call(kind=Call.Kind.CONSULT)
    assert post(client_for(people.consultant), f"/api/video/staff/calls/{call.pk}/answer").status_code == 200
    second = post(client_for(people.consultant2), f"/api/video/staff/calls/{call.pk}/answer")
    assert second.status_code == 409 and "已由其他人员接听" in second.json()["detail"]


def test_another_departments_officer_gets_403_and_sees_no_ringing(people):
    call = services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.civil)
    other = client_for(people.other_officer)
    assert other.get("/api/video/staff/ringing").json() == []
    refused = post(other, f"/api/video/staff/calls/{call.pk}/answer")
    assert refused.status_code == 403 and "本部门" in refused.json()["detail"]
    assert [r["id"] for r in client_for(people.expert).get("/api/video/staff/ringing").json()] == [call.pk]
    # Consultants do not see the departments' support calls.
    assert client_for(people.consultant).get("/api/video/staff/ringing").json() == []


def test_staff_endpoints_need_a_session_or_token_and_a_party(people):
    call = services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.civil)
    anonymous = Client()
    assert anonymous.get("/api/video/staff/ringing").status_code == 401
    assert post(anonymous, f"/api/video/staff/calls/{call.pk}/answer").status_code == 401
    assert client_for(people.consultant).get(f"/api/video/staff/calls/{call.pk}/signals").status_code == 403
    assert post(client_for(people.consultant), f"/api/video/staff/calls/{call.pk}/hangup").status_code == 403
    assert client_for(people.clerk).get("/api/video/staff/calls/999999/signals").status_code == 404
    # A staff-placed call is not reachable by its token.
    assert Client().get(f"/api/video/calls/{call.token}/signals").status_code == 404


def test_bad_input_is_a_4xx_with_a_reason(people):
    citizen = Client()
    assert citizen.get("/api/video/calls/nope/signals").status_code == 404
    info = post(citizen, "/api/video/calls").json()
    bad_kind = post(citizen, info["signals_url"], {"kind": "hangup", "payload": {}})
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"]
    assert post(citizen, info["signals_url"], {"kind": "offer", "payload": "x"}).status_code == 422
    assert citizen.get(info["signals_url"] + "?after=-1").status_code == 422
    assert post(citizen, "/api/video/calls", {"name": "x" * 101}).status_code == 422
    assert post(citizen, "/api/video/calls", {"booking": "unknown"}).status_code == 404
    clerk = client_for(people.clerk)
    assert post(clerk, "/api/video/staff/calls", {"kind": "support"}).status_code == 422
    assert post(clerk, "/api/video/staff/calls", {"kind": "support", "department": 999999}).status_code == 422
    no_case = post(clerk, "/api/video/staff/calls", {"kind": "support", "department": people.civil.pk, "case": "X"})
    assert no_case.status_code == 422 and "办件编号" in no_case.json()["detail"]
    not_clerk = post(client_for(people.consultant), "/api/video/staff/calls", {"department": people.civil.pk})
    assert not_clerk.status_code == 403
    assert Call.objects.count() == 1


def test_anonymous_calls_are_rate_limited_per_address(people, settings):
    settings.VIDEO_CALL_RATE = "2/600"
    citizen = Client()
    assert [post(citizen, "/api/video/calls").status_code for _ in range(3)] == [201, 201, 429]
    assert Call.objects.count() == 2


def test_the_ringing_poll_turns_overdue_calls_missed(people):
    call = services.place_call(kind=Call.Kind.CONSULT)
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert client_for(people.consultant).get("/api/video/staff/ringing").json() == []
        assert Client().get(f"/api/video/calls/{call.token}/signals").json()["status"] == "missed"


# --- pages -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, allowed, refused",
    [
        ("/video/desk/", "consultant", "clerk"),
        ("/video/expert/", "expert", "consultant"),
        ("/video/support/", "clerk", "expert"),
        ("/video/log/", "supervisor", None),
    ],
)
def test_staff_pages_open_for_their_role_only(people, url, allowed, refused):
    assert Client().get(url).status_code == 302  # to the login
    assert client_for(getattr(people, allowed)).get(url).status_code == 200
    if refused:
        assert client_for(getattr(people, refused)).get(url).status_code == 403


def test_the_citizen_page_asks_consent_only_where_recording_is_allowed(people):
    from yichuang.video.models import VideoRules

    assert "call-consent" not in Client().get("/video/").content.decode()
    VideoRules.objects.create(recording_allowed=True)
    assert "call-consent" in Client().get("/video/").content.decode()


def test_the_log_shows_each_viewer_their_share(people):
    consult = services.place_call(kind=Call.Kind.CONSULT, caller_name="张三")
    civil = services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.civil)
    samr = services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.samr)

    def rows(user):
        html = client_for(user).get("/video/log/").content.decode()
        return {int(n) for n in re.findall(r'data-call="(\d+)"', html)}

    assert rows(people.admin) == rows(people.supervisor) == {consult.pk, civil.pk, samr.pk}
    assert rows(people.expert) == {civil.pk}
    assert rows(people.other_officer) == {samr.pk}
    assert rows(people.clerk) == {civil.pk, samr.pk}
    assert rows(people.consultant) == set()
    html = client_for(people.admin).get("/video/log/").content.decode()
    assert "张*" in html and "张三" not in html


def _booking_form(client, **data):
    page = client.get("/video/book/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return client.post("/video/book/", {"form_token": token, **data})


def test_a_citizen_books_a_slot_once_however_often_the_form_is_sent(people):
    citizen = Client()
    page = citizen.get("/video/book/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"form_token": token, "day": "2026-03-11", "time": "10:00", "name": "李四", "phone": "13800000000"}
    first = citizen.post("/video/book/", data)
    assert first.status_code == 302
    again = citizen.post("/video/book/", data)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    booking = Booking.objects.get()
    assert first["Location"] == f"/video/booking/{booking.token}/"
    shown = citizen.get(first["Location"]).content.decode()
    assert "138****0000" in shown and "13800000000" not in shown

    taken = _booking_form(Client(), day="2026-03-11", time="10:00", name="王五", phone="13900000000")
    assert taken.status_code == 422 and "该时段已被预约" in taken.content.decode()

    # The desk sees the day's bookings (name masked); the booking is cancelled from its page.
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, 0, tzinfo=T0.tzinfo), tick=False):
        desk = client_for(people.consultant).get("/video/desk/").content.decode()
    assert "李*" in desk and "李四" not in desk
    assert citizen.post(f"/video/booking/{booking.token}/cancel/").status_code == 302
    assert Booking.objects.get().cancelled_at is not None


def test_a_clerk_books_a_department_and_only_the_clerk_sees_it(people):
    clerk = client_for(people.clerk)
    done = _booking_form(clerk, department=people.civil.pk, day="2026-03-11", time="10:20", topic="养老机构备案")
    assert done.status_code == 302
    booking = Booking.objects.get()
    assert booking.kind == "support" and booking.department == people.civil and booking.booked_by == people.clerk
    assert client_for(people.consultant).get(done["Location"]).status_code == 403
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, 0, tzinfo=T0.tzinfo), tick=False):
        assert "养老机构备案" in client_for(people.expert).get("/video/expert/").content.decode()
        assert "养老机构备案" not in client_for(people.other_officer).get("/video/expert/").content.decode()


def test_ice_servers_carry_a_time_limited_turn_credential_when_a_secret_is_set(settings):
    import base64
    import hashlib
    import hmac

    from yichuang.video import queries

    settings.VIDEO_ICE_SERVERS = [{"urls": ["stun:stun.hall.lan:3478"]}]
    settings.VIDEO_TURN_URLS, settings.VIDEO_TURN_SECRET = [], ""
    assert queries.ice_servers() == [{"urls": ["stun:stun.hall.lan:3478"]}]
    settings.VIDEO_TURN_URLS, settings.VIDEO_TURN_SECRET, settings.VIDEO_TURN_TTL = ["turn:t:3478"], "s3cret", 600
    turn = queries.ice_servers(now=1_000_000)[-1]
    assert turn["urls"] == ["turn:t:3478"] and turn["username"] == "1000600:yichuang"
    expected = base64.b64encode(hmac.new(b"s3cret", b"1000600:yichuang", hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected


def test_only_admins_supervisors_and_auditors_play_a_recording(people, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yichuang.video.models import VideoRules

    settings.MEDIA_ROOT = tmp_path
    VideoRules.objects.create(recording_allowed=True)
    info = post(Client(), "/api/video/calls", {"recording_consent": True}).json()
    consultant = client_for(people.consultant)
    answered = post(consultant, f"/api/video/staff/calls/{info['id']}/answer").json()
    assert answered["recorded"] is True and answered["recording_url"]
    webm = SimpleUploadedFile("call.webm", b"\x1a\x45\xdf\xa3rest", content_type="video/webm")
    assert consultant.post(answered["recording_url"], {"file": webm}).status_code == 201
    url = f"/video/log/{info['id']}/recording/"
    assert client_for(people.consultant).get(url).status_code == 403
    played = client_for(people.supervisor).get(url)
    assert played.status_code == 200 and played["Content-Type"] == "video/webm"
    assert url in client_for(people.admin).get("/video/log/").content.decode()


def test_a_citizen_calls_from_the_booking_at_its_time(people):
    slot = T0 + dt.timedelta(days=1)
    booking = services.book(kind=Booking.Kind.CONSULT, starts_at=slot, name="李四", phone="13800000000")
    early = post(Client(), "/api/video/calls", {"booking": booking.token})
    assert early.status_code == 409 and "预约时段" in early.json()["detail"]
    page = Client().get(f"/video/booking/{booking.token}/").content.decode()
    assert "btn-booking-call" not in page
    with time_machine.travel(slot - dt.timedelta(minutes=2), tick=False):
        page = Client().get(f"/video/booking/{booking.token}/").content.decode()
        assert f"/video/?booking={booking.token}" in page
        assert booking.token in Client().get(f"/video/?booking={booking.token}").content.decode()
        placed = post(Client(), "/api/video/calls", {"booking": booking.token})
        assert placed.status_code == 201
        ringing = client_for(people.consultant).get("/api/video/staff/ringing").json()
        assert ringing[0]["booked"] is True
    assert Call.objects.get().booking == booking


def test_the_start_page_lists_the_video_surfaces(people):
    html = Client().get("/").content.decode()
    assert "/video/" in html and "/video/desk/" in html and "/video/log/" in html


def test_the_desks_ringing_poll_ends_a_call_both_sides_left(people):
    call = services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.civil)
    services.answer_call(call, people.expert)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        client_for(people.consultant).get("/api/video/staff/ringing")
    call.refresh_from_db()
    assert call.status == Call.Status.ENDED and call.ended_by == "lost"
