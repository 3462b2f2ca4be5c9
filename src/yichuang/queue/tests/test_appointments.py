"""Appointments: slots with capacity, booking online or by staff, check-in within the window."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from yichuang.core.models import AuditEvent
from yichuang.queue import services
from yichuang.queue.models import Appointment, AppointmentSlot, QueueSettings, Ticket

pytestmark = pytest.mark.django_db
M = datetime.timedelta(minutes=1)


@pytest.fixture
def slot(hall, t0):
    """10:30–11:00 today in zone A, two places."""
    return AppointmentSlot.objects.create(
        zone=hall.a, date=t0.date(), start=datetime.time(10, 30), end=datetime.time(11), capacity=2
    )


def at(t0, hh, mm):
    return timezone.make_aware(datetime.datetime.combine(t0.date(), datetime.time(hh, mm)))


def test_capacity_is_enforced(slot, t0):
    services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    services.book_appointment(slot, name="李四", phone="13800000002", now=t0)
    with pytest.raises(services.Conflict):
        services.book_appointment(slot, name="王五", phone="13800000003", now=t0)
    slot.refresh_from_db()
    assert slot.booked == 2 and Appointment.objects.count() == 2


def test_cancel_frees_a_place(slot, t0):
    first = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    services.book_appointment(slot, name="李四", phone="13800000002", now=t0)
    services.cancel_appointment(first)
    services.book_appointment(slot, name="王五", phone="13800000003", now=t0)
    slot.refresh_from_db()
    assert slot.booked == 2


def test_one_booking_per_phone_zone_and_day(slot, t0):
    services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    with pytest.raises(services.Conflict):
        services.book_appointment(slot, name="张三", phone="13800000001", now=t0)


def test_booking_needs_name_phone_and_a_future_slot(slot, t0):
    with pytest.raises(services.QueueError):
        services.book_appointment(slot, name="", phone="13800000001", now=t0)
    with pytest.raises(services.QueueError):
        services.book_appointment(slot, name="张三", phone="", now=t0)
    with pytest.raises(services.Conflict):
        services.book_appointment(slot, name="张三", phone="13800000001", now=at(t0, 11, 0))
    slot.refresh_from_db()
    assert slot.booked == 0


def test_check_in_within_the_window_goes_ahead_of_walk_ins(hall, slot, t0):
    appointment = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    walk_in = services.issue_ticket(hall.a, now=at(t0, 10, 10))
    ticket, in_time = services.check_in(appointment.code.lower(), now=at(t0, 10, 15))  # −15 min: in time
    assert in_time and ticket.booked and ticket.appointment == appointment and ticket.number == "A002"
    assert ticket.source == Ticket.Source.APPOINTMENT and ticket.ahead_at_issue == 0
    window = hall.windows[0]
    assert services.call_next(window, hall.clerk_at(window), now=at(t0, 10, 20)) == ticket
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert walk_in.status == Ticket.Status.WAITING


def test_too_early_is_refused(slot, t0):
    appointment = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    with pytest.raises(services.Conflict, match="10:15"):
        services.check_in(appointment.code, now=at(t0, 10, 14))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED and not Ticket.objects.exists()


def test_late_arrival_joins_the_ordinary_queue(hall, slot, t0):
    appointment = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    services.issue_ticket(hall.a, now=at(t0, 10, 35))
    ticket, in_time = services.check_in(appointment.code, now=at(t0, 10, 41))  # +11 min: late
    assert not in_time and not ticket.booked and ticket.ahead_at_issue == 1
    window = hall.windows[0]
    assert services.call_next(window, hall.clerk_at(window), now=at(t0, 10, 42)).number == "A001"


def test_last_minute_of_the_window_is_in_time(slot, t0):
    appointment = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    assert services.check_in(appointment.code, now=at(t0, 10, 40))[1] is True


def test_window_is_configurable(hall, slot, t0):
    QueueSettings.objects.create(zone=hall.a, appointment_early_minutes=30, appointment_late_minutes=0)
    first = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    second = services.book_appointment(slot, name="李四", phone="13800000002", now=t0)
    assert services.check_in(first.code, now=at(t0, 10, 0))[1] is True
    assert services.check_in(second.code, now=at(t0, 10, 31))[1] is False


def test_check_in_refusals(hall, slot, t0):
    appointment = services.book_appointment(slot, name="张三", phone="13800000001", now=t0)
    with pytest.raises(services.QueueError):
        services.check_in("NOSUCHCODE", now=at(t0, 10, 30))
    with pytest.raises(services.Conflict):
        services.check_in(appointment.code, now=at(t0, 10, 30) + datetime.timedelta(days=1))
    other_site = hall.site.__class__.objects.create(code="other", name="其他", division_code="411624")
    with pytest.raises(services.QueueError):
        services.check_in(appointment.code, site=other_site, now=at(t0, 10, 30))
    services.check_in(appointment.code, now=at(t0, 10, 30))
    with pytest.raises(services.Conflict):
        services.check_in(appointment.code, now=at(t0, 10, 31))
    assert Ticket.objects.count() == 1


def test_open_slots(hall, t0):
    made = services.open_slots(hall.a, t0.date(), datetime.time(9), datetime.time(11, 30), minutes=30, capacity=3)
    assert [s.start.strftime("%H:%M") for s in made] == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    again = services.open_slots(hall.a, t0.date(), datetime.time(9), datetime.time(12), minutes=30, capacity=3)
    assert len(again) == 1
    with pytest.raises(services.QueueError):
        services.open_slots(hall.a, t0.date(), datetime.time(12), datetime.time(9), minutes=30, capacity=3)


def test_booking_and_check_in_over_the_api(hall, t0):
    tomorrow = t0.date() + datetime.timedelta(days=1)
    slot = AppointmentSlot.objects.create(
        zone=hall.a, date=tomorrow, start=datetime.time(9), end=datetime.time(9, 30), capacity=1
    )
    client = Client()
    slots = client.get(f"/api/zones/za/slots?date={tomorrow}").json()
    assert slots == [{"id": slot.pk, "date": str(tomorrow), "start": "09:00:00", "end": "09:30:00", "free": 1}]
    booked = client.post(
        "/api/appointments", {"slot": slot.pk, "name": "张三", "phone": "13800000001"}, content_type="application/json"
    )
    assert booked.status_code == 201
    code = booked.json()["code"]
    full = client.post(
        "/api/appointments", {"slot": slot.pk, "name": "李四", "phone": "13800000002"}, content_type="application/json"
    )
    assert full.status_code == 409
    assert (
        client.post(
            "/api/appointments", {"slot": 0, "name": "李四", "phone": "13800000002"}, content_type="application/json"
        ).status_code
        == 422
    )
    # Checking in today for tomorrow's slot: 409, nothing issued.
    response = client.post(f"/api/appointments/{code}/check-in")
    assert response.status_code == 409 and not Ticket.objects.exists()
    assert "13800000001" not in str(list(AuditEvent.objects.values()))


def test_check_in_at_the_kiosk_page(hall, t0):
    now = timezone.localtime()
    start = (now + datetime.timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    if start < now.time():  # a test run just before midnight
        pytest.skip("slot would fall on the next day")
    end = (datetime.datetime.combine(now.date(), start) + datetime.timedelta(minutes=30)).time()
    if end < start:
        pytest.skip("slot would cross midnight")
    slot = AppointmentSlot.objects.create(zone=hall.a, date=now.date(), start=start, end=end, capacity=1)
    appointment = services.book_appointment(slot, name="张三", phone="13800000001")
    response = Client().post("/kiosk/hall/check-in/", {"code": appointment.code}, follow=True)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.booked and ticket.number in response.content.decode()


def test_online_booking_page(hall, t0):
    tomorrow = t0.date() + datetime.timedelta(days=1)
    slot = AppointmentSlot.objects.create(
        zone=hall.a, date=tomorrow, start=datetime.time(9), end=datetime.time(9, 30), capacity=1
    )
    client = Client()
    page = client.get("/booking/hall/")
    assert page.status_code == 200 and "09:00" in page.content.decode()
    done = client.post("/booking/hall/", {"slot": slot.pk, "name": "张三", "phone": "13800000001"}, follow=True)
    appointment = Appointment.objects.get()
    assert appointment.code in done.content.decode()
    again = client.post("/booking/hall/", {"slot": slot.pk, "name": "李四", "phone": "13800000002"})
    assert "约满" in again.content.decode() or "暂无可约时段" in again.content.decode()
    assert Appointment.objects.count() == 1
