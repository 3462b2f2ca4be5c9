"""Appointments people use (issue 15.4): booked for a matter or a pre-filled application, the confirmation lists
the materials to bring and links the page with the code's QR; reminders the day before and an hour before, each
once; the check-in's ticket brings the pre-filled application to the window."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from yichuang.catalogue.models import Matter
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake.tests.ids import credit_code
from yichuang.notifications.models import Message
from yichuang.organisation.models import Site, Zone
from yichuang.prefill import services as prefill_services
from yichuang.queue import services
from yichuang.queue.models import Appointment, AppointmentSlot
from yichuang.situation.models import Guide

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 9, 15, 0, tzinfo=SHANGHAI)
ANSWERS = {"seal": "need", "bank": "later", "invoice": "skip", "social": "skip", "fund": "skip",
           "shareholders": "natural", "premises": "rented", "agent": "self"}  # fmt: skip


def _opening():
    """The demo's 企业开办 guide, as published."""
    return Guide.objects.get(code="enterprise-opening").published()


def _slot(day: datetime.date, hour: int = 9) -> AppointmentSlot:
    zone = Zone.objects.get(code="sq-enterprise")
    start, end = datetime.time(hour), datetime.time(hour, 30)
    return AppointmentSlot.objects.create(zone=zone, date=day, start=start, end=end, capacity=5)


def _at(day_offset: int, hh: int, mm: int = 0) -> datetime.datetime:
    day = MONDAY.date() + datetime.timedelta(days=day_offset)
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=SHANGHAI)


def test_the_confirmation_lists_the_matters_materials_and_links_the_qr(demo_guides):
    slot = _slot(MONDAY.date() + datetime.timedelta(days=2))
    booked = services.book_appointment(slot, name="张三", phone="13800000001", now=MONDAY,
                                       matter=Matter.objects.get(code="411624-XK-SCJG-001"))  # fmt: skip
    message = Message.objects.get(kind="appointment_booked")
    assert booked.code in message.body and "公司登记（备案）申请书" in message.body and booked.token in message.body
    page = Client().get(reverse("queue:appointment", args=[booked.token])).content.decode()
    assert booked.code in page and "<svg" in page and "章程" in page
    with pytest.raises(services.QueueError):  # a matter the zone does not take in
        services.book_appointment(slot, name="李四", phone="13800000002", now=MONDAY,
                                  matter=Matter.objects.get(code="411624-QR-ZRZY-003"))  # fmt: skip


def test_reminders_the_day_before_and_an_hour_before_each_once(demo_guides):
    wednesday = MONDAY.date() + datetime.timedelta(days=2)
    early = services.book_appointment(_slot(wednesday), name="张三", phone="13800000001", now=MONDAY)
    late = services.book_appointment(_slot(wednesday, 10), name="李四", phone="13800000002", now=_at(1, 9, 30))
    reminders = Message.objects.filter(kind="appointment_reminder")
    assert services.remind_appointments(now=_at(1, 8, 59)) == {"day": 0, "hour": 0}  # not before 09:00
    assert services.remind_appointments(now=_at(1, 9, 0)) == {"day": 1, "hour": 0}
    assert services.remind_appointments(now=_at(1, 18, 0)) == {"day": 0, "hour": 0}  # once; the later booking
    assert list(reminders.values_list("recipient", flat=True)) == [early.phone]  # had its confirmation just now
    assert "明天" in reminders.get().body
    assert services.remind_appointments(now=_at(2, 7, 59)) == {"day": 0, "hour": 0}
    assert services.remind_appointments(now=_at(2, 8, 5)) == {"day": 0, "hour": 1}
    assert services.remind_appointments(now=_at(2, 8, 6)) == {"day": 0, "hour": 0}
    assert services.remind_appointments(now=_at(2, 9, 10)) == {"day": 0, "hour": 1}  # 李四's 10:00
    assert reminders.count() == 3 and "一小时内" in reminders.filter(recipient=late.phone).get().body
    services.cancel_appointment(Appointment.objects.get(pk=early.pk))
    assert Appointment.objects.get(pk=early.pk).status == "cancelled"


def test_a_cancelled_appointment_is_not_reminded(demo_guides):
    booked = services.book_appointment(_slot(MONDAY.date() + datetime.timedelta(days=2)), name="张三",
                                       phone="13800000001", now=MONDAY)  # fmt: skip
    Client().post(reverse("queue:appointment", args=[booked.token]), {"action": "cancel"})
    assert services.remind_appointments(now=_at(1, 9, 0)) == {"day": 0, "hour": 0}


def test_a_booking_for_a_prefilled_application_brings_it_to_the_window(demo_guides):
    site = Site.objects.get(is_default=True)
    tuesday = MONDAY.date() + datetime.timedelta(days=1)
    slot = _slot(tuesday, 10)
    with time_machine.travel(MONDAY, tick=False):
        prefill = prefill_services.create(
            site=site, channel="portal", version=_opening(), answers=ANSWERS,
            applicant={"kind": "org", "name": "沈丘县好运商贸有限公司", "id_number": credit_code("91411624MA9"),
                       "phone": "13900001111"},
        )  # fmt: skip
        page = Client().get(reverse("queue:booking", args=[site.code]), {"prefill": prefill.code})
        assert "为预填申请" in page.content.decode() and 'name="prefill"' in page.content.decode()
    booked = services.book_appointment(slot, name="张三", phone="13900001111", prefill=prefill,
                                       now=MONDAY)  # fmt: skip
    assert "房屋租赁合同" in Message.objects.get(kind="appointment_booked").body  # the tailored list
    realestate = Zone.objects.get(code="sq-realestate")
    other_zone = AppointmentSlot.objects.create(
        zone=realestate, date=tuesday, start=datetime.time(9), end=datetime.time(9, 30), capacity=5
    )
    with pytest.raises(services.QueueError) as exc:
        services.book_appointment(other_zone, name="张三", phone="13900001111", prefill=prefill, now=MONDAY)
    assert "prefill" in exc.value.message_dict
    with pytest.raises(services.QueueError) as exc:  # the code alone books nothing: the phone it was made with
        services.book_appointment(slot, name="李四", phone="13900001112", prefill=prefill, now=MONDAY)
    assert "phone" in exc.value.message_dict
    ticket, in_time = services.check_in(f" {booked.code.lower()} ", now=_at(1, 9, 50))  # as a scanner types it
    assert in_time and ticket.appointment_id == booked.pk
    prefill.refresh_from_db()
    assert prefill.ticket == ticket and prefill_services.for_ticket(ticket) == prefill
    with time_machine.travel(_at(1, 9, 55), tick=False):  # a ticket already waiting for it is not taken away
        other = services.issue_ticket(ticket.zone, now=_at(1, 9, 55))
        prefill_services.attach_ticket(prefill, other)
        prefill.refresh_from_db()
        assert prefill.ticket == ticket
