"""The rules of video calls and bookings, on the services (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.core.models import AuditEvent
from yichuang.intake.tests.helpers import T0
from yichuang.video import services
from yichuang.video.models import Booking, Call, Signal, VideoRules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    with time_machine.travel(T0, tick=False):
        yield


def citizen_call(**kwargs) -> Call:
    return services.place_call(kind=Call.Kind.CONSULT, caller_name="张三", **kwargs)


def support_call(people, **kwargs) -> Call:
    return services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.civil, **kwargs)


# --- placing ---------------------------------------------------------------------------------------------------


def test_a_citizen_calls_the_desk_anonymously_and_a_clerk_calls_a_department(people):
    call = citizen_call()
    assert call.status == Call.Status.RINGING and call.caller is None and call.department is None
    assert len(call.token) >= 40
    call = support_call(people)
    assert call.caller == people.clerk and call.department == people.civil


def test_only_a_window_clerk_calls_a_department_and_must_name_it(people):
    with pytest.raises(PermissionDenied):
        services.place_call(kind=Call.Kind.SUPPORT, caller=people.consultant, department=people.civil)
    with pytest.raises(PermissionDenied):
        services.place_call(kind=Call.Kind.SUPPORT, caller=None, department=people.civil)
    with pytest.raises(ValidationError) as refused:
        services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk)
    assert "department" in refused.value.message_dict
    assert not Call.objects.exists()


def test_recording_consent_counts_only_where_the_hall_allows_recording(people):
    assert citizen_call(recording_consent=True).recording_consent is False
    VideoRules.objects.create(recording_allowed=True)
    assert citizen_call(recording_consent=True).recording_consent is True
    assert citizen_call(recording_consent=False).recording_consent is False


# --- answering -------------------------------------------------------------------------------------------------


def test_the_first_consultant_to_answer_wins_the_second_is_refused(people):
    call = citizen_call()
    services.answer_call(call, people.consultant)
    with pytest.raises(services.Refused, match="已由其他人员接听"):
        services.answer_call(Call.objects.get(pk=call.pk), people.consultant2)
    call.refresh_from_db()
    assert call.status == Call.Status.ACTIVE and call.callee == people.consultant and call.answered_at == T0


def test_a_stale_copy_of_a_ringing_call_cannot_be_answered_twice(people):
    """Both consultants loaded the call while it rang: the conditional update lets only one through."""
    first, second = Call.objects.get(pk=citizen_call().pk), Call.objects.get(pk=Call.objects.get().pk)
    services.answer_call(first, people.consultant)
    assert second.status == Call.Status.RINGING
    with pytest.raises(services.Refused):
        services.answer_call(second, people.consultant2)
    assert Call.objects.get().callee == people.consultant


def test_only_the_called_departments_experts_answer_a_support_call(people):
    call = support_call(people)
    with pytest.raises(PermissionDenied, match="本部门"):
        services.answer_call(call, people.other_officer)
    with pytest.raises(PermissionDenied):
        services.answer_call(call, people.consultant)
    with pytest.raises(PermissionDenied):
        services.answer_call(call, people.admin)
    services.answer_call(call, people.lead)
    assert Call.objects.get().callee == people.lead


def test_experts_do_not_answer_the_consultation_desk(people):
    with pytest.raises(PermissionDenied):
        services.answer_call(citizen_call(), people.expert)


def test_an_unanswered_call_becomes_missed_after_ring_seconds(people):
    VideoRules.objects.create(ring_seconds=60)
    call = citizen_call()
    with time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False):
        assert services.miss_call(call) is False
    with time_machine.travel(T0 + dt.timedelta(seconds=60), tick=False):
        with pytest.raises(services.Refused, match="超时"):
            services.answer_call(call, people.consultant)
    call.refresh_from_db()
    assert call.status == Call.Status.MISSED and call.callee is None and call.seconds is None
    assert AuditEvent.objects.filter(action="video.call_missed", object_id=str(call.pk)).count() == 1


def test_expire_ringing_misses_only_overdue_calls(people):
    old = citizen_call()
    with time_machine.travel(T0 + dt.timedelta(seconds=50), tick=False):
        young = citizen_call()
    with time_machine.travel(T0 + dt.timedelta(seconds=70), tick=False):
        assert services.expire_ringing() == 1
    assert Call.objects.get(pk=old.pk).status == Call.Status.MISSED
    assert Call.objects.get(pk=young.pk).status == Call.Status.RINGING


# --- hanging up and signalling ---------------------------------------------------------------------------------


def test_either_side_hangs_up_the_call_ends_with_its_duration_and_a_hangup_signal(people):
    call = support_call(people)
    services.answer_call(call, people.expert)
    with time_machine.travel(T0 + dt.timedelta(minutes=3, seconds=5), tick=False):
        ended = services.end_call(call, "callee", actor=people.expert)
    assert ended.status == Call.Status.ENDED and ended.ended_by == "callee" and ended.seconds == 185
    assert list(Signal.objects.filter(call=call).values_list("sender", "kind")) == [("callee", "hangup")]
    # The other side's hang-up crossing it changes nothing.
    again = services.end_call(Call.objects.get(pk=call.pk), "caller", actor=people.clerk)
    assert again.ended_by == "callee" and Signal.objects.filter(call=call).count() == 1
    assert AuditEvent.objects.filter(action="video.call_ended").count() == 1


def test_a_caller_may_give_up_before_an_answer(people):
    call = citizen_call()
    ended = services.end_call(call, "caller")
    assert ended.status == Call.Status.ENDED and ended.seconds is None
    with pytest.raises(services.Refused):
        services.answer_call(Call.objects.get(pk=call.pk), people.consultant)


def test_signals_are_refused_after_the_hang_up(people):
    call = citizen_call()
    services.send_signal(call, "caller", "offer", {"type": "offer", "sdp": "v=0"})
    services.answer_call(call, people.consultant)
    services.send_signal(call, "callee", "answer", {"type": "answer", "sdp": "v=0"})
    services.end_call(call, "callee", actor=people.consultant)
    for side in ("caller", "callee"):
        with pytest.raises(services.Refused, match="通话已结束"):
            services.send_signal(call, side, "ice", {"candidate": "x"})
    assert Signal.objects.filter(call=call).count() == 3


def test_the_callee_signals_only_after_answering_and_bad_signals_are_refused(people):
    call = citizen_call()
    with pytest.raises(services.Refused, match="尚未接听"):
        services.send_signal(call, "callee", "answer", {})
    with pytest.raises(ValidationError):
        services.send_signal(call, "caller", "hangup", {})
    with pytest.raises(ValidationError):
        services.send_signal(call, "caller", "ice", {"candidate": "x" * 20_000})
    assert not Signal.objects.exists()


def test_only_the_two_parties_are_sides_of_a_call(people):
    citizen = citizen_call()
    assert services.side_of(citizen, token=citizen.token) == "caller"
    with pytest.raises(PermissionDenied):
        services.side_of(citizen, token="wrong")
    services.answer_call(citizen, people.consultant)
    assert services.side_of(citizen, user=people.consultant) == "callee"
    with pytest.raises(PermissionDenied):
        services.side_of(citizen, user=people.consultant2)
    support = support_call(people)
    assert services.side_of(support, user=people.clerk) == "caller"
    with pytest.raises(PermissionDenied):
        services.side_of(support, token=support.token)  # a staff call is never reached by token
    with pytest.raises(PermissionDenied):
        services.side_of(support, user=people.expert)  # not answered yet


def test_the_audit_log_holds_no_personal_data(people):
    call = citizen_call()
    services.answer_call(call, people.consultant)
    services.end_call(call, "caller")
    events = AuditEvent.objects.filter(object_type="video.call")
    assert {e.action for e in events} == {"video.call_placed", "video.call_answered", "video.call_ended"}
    for event in events:
        assert "张三" not in event.summary and "张三" not in str(event.detail)
        assert call.token not in str(event.detail)


def test_the_consultant_who_answered_links_the_consultation(people):
    from yichuang.consultation.models import Consultation

    call = citizen_call()
    services.answer_call(call, people.consultant)
    consultation = Consultation.objects.create(
        number="ZX-2026-000001", channel="video", question="咨询", token="t1", staff=people.consultant
    )
    with pytest.raises(PermissionDenied):
        services.link_consultation(call, consultation, people.consultant2)
    services.link_consultation(call, consultation, people.consultant)
    assert Call.objects.get(pk=call.pk).consultation == consultation


# --- bookings --------------------------------------------------------------------------------------------------

SLOT = T0 + dt.timedelta(days=1)  # Wednesday 11 March 2026, 10:00


def test_one_booking_per_slot_and_party(people):
    services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT, name="李四", phone="13800000000")
    with pytest.raises(ValidationError, match="已被预约"):
        services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT, name="王五", phone="13900000000")
    # Another party's slot at the same time is free: each department, and the desk, has its own.
    services.book(kind=Booking.Kind.SUPPORT, starts_at=SLOT, department=people.civil, by=people.clerk)
    services.book(kind=Booking.Kind.SUPPORT, starts_at=SLOT, department=people.samr, by=people.clerk)
    with pytest.raises(ValidationError, match="已被预约"):
        services.book(kind=Booking.Kind.SUPPORT, starts_at=SLOT, department=people.civil, by=people.clerk)
    assert Booking.objects.count() == 3


def test_the_database_keeps_one_live_booking_per_slot(people):
    """The constraint behind the check, for two bookings that both passed it at once."""
    from django.db import IntegrityError, transaction

    services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT, name="李四", phone="13800000000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(kind="consult", starts_at=SLOT, ends_at=SLOT + dt.timedelta(minutes=20), token="x")


def test_a_cancelled_booking_frees_its_slot(people):
    booking = services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT, name="李四", phone="13800000000")
    services.cancel_booking(booking)
    with pytest.raises(services.Refused):
        services.cancel_booking(booking)
    services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT, name="王五", phone="13900000000")


@pytest.mark.parametrize(
    "starts_at, field",
    [
        (SLOT + dt.timedelta(minutes=7), "starts_at"),  # not on the slot grid
        (T0 - dt.timedelta(hours=1), "starts_at"),  # past
        (T0 + dt.timedelta(days=40), "starts_at"),  # too far ahead
    ],
)
def test_a_booking_starts_on_a_future_slot(people, starts_at, field):
    with pytest.raises(ValidationError) as refused:
        services.book(kind=Booking.Kind.CONSULT, starts_at=starts_at, name="李四", phone="13800000000")
    assert field in refused.value.message_dict


def test_a_citizen_booking_needs_a_name_and_phone_and_support_bookings_a_clerk(people):
    with pytest.raises(ValidationError) as refused:
        services.book(kind=Booking.Kind.CONSULT, starts_at=SLOT)
    assert {"name", "phone"} <= set(refused.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.book(kind=Booking.Kind.SUPPORT, starts_at=SLOT, department=people.civil, by=people.consultant)


def test_a_booked_call_is_placed_within_its_slot_by_whoever_booked_it(people):
    booking = services.book(kind=Booking.Kind.SUPPORT, starts_at=SLOT, department=people.civil, by=people.clerk)
    with pytest.raises(services.Refused, match="预约时段"):
        support_call(people, booking=booking)
    with time_machine.travel(SLOT - dt.timedelta(minutes=5), tick=False):
        call = support_call(people, booking=booking)
    assert call.booking == booking
    other_clerk = type(people.clerk).objects.create(username="chuangkou2")
    other_clerk.groups.set(people.clerk.groups.all())
    with time_machine.travel(SLOT, tick=False), pytest.raises(PermissionDenied):
        services.place_call(kind=Call.Kind.SUPPORT, caller=other_clerk, department=people.civil, booking=booking)
    with time_machine.travel(SLOT, tick=False), pytest.raises(services.Refused, match="不是这次呼叫的对象"):
        services.place_call(kind=Call.Kind.SUPPORT, caller=people.clerk, department=people.samr, booking=booking)


# --- recording -------------------------------------------------------------------------------------------------

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 60


def _webm(content=WEBM, content_type="video/webm"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("call.webm", content, content_type=content_type)


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_recording_is_stored_only_with_permission_and_consent_by_the_callee(people, _media):
    call = citizen_call(recording_consent=True)  # recording not allowed: the consent does not count
    services.answer_call(call, people.consultant)
    with pytest.raises(PermissionDenied, match="未经办事人同意"):
        services.store_recording(call, people.consultant, _webm())

    VideoRules.objects.create(recording_allowed=True)
    refused = citizen_call(recording_consent=False)
    services.answer_call(refused, people.consultant)
    with pytest.raises(PermissionDenied):
        services.store_recording(refused, people.consultant, _webm())

    agreed = citizen_call(recording_consent=True)
    services.answer_call(agreed, people.consultant)
    with pytest.raises(PermissionDenied, match="接听本次通话"):
        services.store_recording(agreed, people.consultant2, _webm())
    with pytest.raises(ValidationError):
        services.store_recording(agreed, people.consultant, _webm(b"not a webm"))
    with pytest.raises(ValidationError):
        services.store_recording(agreed, people.consultant, _webm(content_type="text/plain"))
    recording = services.store_recording(agreed, people.consultant, _webm())
    assert recording.size == len(WEBM) and recording.file.read(4) == WEBM[:4]
    with pytest.raises(services.Refused, match="已上传"):
        services.store_recording(agreed, people.consultant, _webm())


# --- gone silent -----------------------------------------------------------------------------------------------


def _at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_poll_is_noted_at_most_every_ten_seconds(people):
    call = citizen_call()
    services.seen(call, "caller", now=_at(1))
    services.seen(Call.objects.get(pk=call.pk), "caller", now=_at(9))
    assert Call.objects.get(pk=call.pk).caller_seen_at == _at(1)
    services.seen(Call.objects.get(pk=call.pk), "caller", now=_at(12))
    assert Call.objects.get(pk=call.pk).caller_seen_at == _at(12)


def test_a_call_whose_other_side_went_silent_ends_lost_at_its_last_sign_of_life(people):
    call = citizen_call()
    services.answer_call(call, people.consultant)
    services.seen(call, "caller", now=_at(5))
    services.seen(call, "callee", now=_at(50))
    assert services.end_if_silent(Call.objects.get(pk=call.pk), now=_at(50)) is False
    services.seen(call, "callee", now=_at(70))
    assert services.end_if_silent(Call.objects.get(pk=call.pk), now=_at(70)) is True
    call.refresh_from_db()
    assert call.status == Call.Status.ENDED and call.ended_by == "lost" and call.seconds == 5
    assert Signal.objects.get(call=call).kind == "hangup"  # the side still there sees it at its next poll


def test_the_sweep_misses_loses_and_prunes_without_any_poll(people):
    ringing = citizen_call()
    active = support_call(people)
    services.answer_call(active, people.expert)
    services.send_signal(active, "caller", "offer", {"sdp": "v=0"})
    result = services.sweep(now=_at(90))
    assert result == {"missed": 1, "lost": 1, "signals_removed": 0}
    assert Call.objects.get(pk=ringing.pk).status == Call.Status.MISSED
    assert Call.objects.get(pk=active.pk).ended_by == "lost"
    assert services.sweep(now=_at(90) + dt.timedelta(days=2))["signals_removed"] == 2  # the offer and the hang-up
    assert not Signal.objects.exists()


def test_the_worker_runs_the_sweep_with_no_desk_page_open(people):
    """The periodic job video.sweep (started by `yichuang worker`) ends a ringing call nobody took."""
    from yichuang.core import periodic
    from yichuang.video import tasks

    ringing = citizen_call()
    job = periodic.get(tasks.SWEEP)
    with time_machine.travel(_at(90), tick=False):
        assert job.func()["missed"] == 1
    assert Call.objects.get(pk=ringing.pk).status == Call.Status.MISSED
