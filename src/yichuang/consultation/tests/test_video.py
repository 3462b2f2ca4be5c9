"""A question asked by video: the video desk's link opens the consultation desk on channel video with the call;
recording links the call (only one the consultant answered, not yet linked) in the same transaction, or nothing is
saved; the consultation page shows the call, the call log the consultation's number."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from yichuang.consultation import services
from yichuang.consultation.models import Consultation
from yichuang.core import once
from yichuang.core.models import AuditEvent
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import UserFactory
from yichuang.video import services as video
from yichuang.video.models import Call

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answered_call(user, *, minutes=3) -> Call:
    call = video.place_call(kind=Call.Kind.CONSULT, caller_name="王小明")
    call = video.answer_call(call, user)
    return video.end_call(call, "callee", actor=user, now=call.answered_at + dt.timedelta(minutes=minutes, seconds=5))


def _record(desk, call, **extra):
    fields = {"channel": "video", "question": "社保卡丢了怎么补？", "solved": True, "answer": "到社保窗口补办。"}
    return services.record(desk.consultant, video_call=call, **{**fields, **extra})


def test_recording_links_the_call_answered_by_the_consultant(desk):
    call = _answered_call(desk.consultant)
    c = _record(desk, call.pk)
    call.refresh_from_db()
    assert c.channel == "video" and call.consultation == c
    assert AuditEvent.objects.filter(action="video.consultation_linked", object_id=str(call.pk)).exists()
    # A second consultation from the same call is refused at the field, nothing saved.
    with pytest.raises(ValidationError) as refused:
        _record(desk, call)
    assert c.number in refused.value.message_dict["video_call"][0]
    assert Consultation.objects.count() == 1


@pytest.mark.parametrize("who", ["other_consultant", "unanswered", "support", "missing", "garbage"])
def test_a_call_not_answered_by_the_consultant_is_refused_and_nothing_saved(desk, who):
    other = UserFactory(roles=[Role.CONSULTANT], username="zx9")
    if who == "other_consultant":
        value = _answered_call(other).pk
    elif who == "unanswered":
        value = video.place_call(kind=Call.Kind.CONSULT).pk
    elif who == "support":
        clerk = UserFactory(username="ck9", window_clerk=True)
        call = video.place_call(kind=Call.Kind.SUPPORT, caller=clerk, department=desk.hall.samr)
        value = video.answer_call(call, desk.office.officer).pk
    else:
        value = "999999" if who == "missing" else "12x"
    with pytest.raises(ValidationError) as refused:
        _record(desk, value)
    assert list(refused.value.message_dict) == ["video_call"]
    assert not Consultation.objects.exists()
    assert not Call.objects.filter(consultation__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="consultation.record").exists()


def test_a_call_needs_channel_video(desk):
    call = _answered_call(desk.consultant)
    with pytest.raises(ValidationError) as refused:
        _record(desk, call, channel="phone")
    assert "channel" in refused.value.message_dict and not Consultation.objects.exists()


def test_a_refusal_by_the_video_app_undoes_the_record(desk, monkeypatch):
    """The link is written by video.services.link_consultation in record's transaction: its refusal (a race
    our own check did not see) leaves no consultation and no number drawn."""
    call = _answered_call(desk.consultant)

    def refuse(*args, **kwargs):
        raise video.Refused("本次通话已关联其他咨询记录。")

    monkeypatch.setattr(video, "link_consultation", refuse)
    with pytest.raises(ValidationError) as refused:
        _record(desk, call)
    assert refused.value.message_dict["video_call"] == ["本次通话已关联其他咨询记录。"]
    assert not Consultation.objects.exists()
    monkeypatch.undo()
    assert _record(desk, call).number.endswith("-0001")  # the refused attempt drew no number


def test_the_desk_link_from_the_video_desk_records_and_links(desk):
    call = _answered_call(desk.consultant)
    client = _client(desk.consultant)
    page = client.get(f"/consult/?channel=video&video_call={call.pk}")
    assert page.status_code == 200
    assert re.search(r'<input type="radio" name="channel" value="video"[^>]* checked', page.text)
    assert f'name="video_call" value="{call.pk}"' in page.text and "来自视频通话" in page.text
    data = {"channel": "video", "question": "护照怎么办？", "solved": "1", "answer": "到出入境窗口。",
            "video_call": str(call.pk), "form_token": once.new_token()}  # fmt: skip
    done = client.post("/consult/", data)
    assert done.status_code == 302
    c = Consultation.objects.get()
    call.refresh_from_db()
    assert call.consultation == c
    # The consultation's page shows the call: who, who answered, when, how long.
    detail = client.get(f"/consult/{c.number}/")
    assert 'id="calls"' in detail.text and f"#{call.pk}" in detail.text
    assert "王**" in detail.text and "王小明" not in detail.text and "3:05" in detail.text
    # The call log shows the consultation's number, linked to its page.
    log = client.get("/video/log/")
    assert c.number in log.text and f"/consult/{c.number}/" in log.text


def test_the_desk_refuses_a_foreign_call_at_the_field(desk):
    other = UserFactory(roles=[Role.CONSULTANT], username="zx9")
    call = _answered_call(other)
    client = _client(desk.consultant)
    data = {"channel": "video", "question": "护照怎么办？", "solved": "1", "answer": "到出入境窗口。",
            "video_call": str(call.pk), "form_token": once.new_token()}  # fmt: skip
    page = client.post("/consult/", data)
    assert page.status_code == 422 and "不是您接听的远程视频咨询" in page.text
    assert 'id="video-call"' in page.text  # shown with the call, not lost in a hidden field
    assert not Consultation.objects.exists()


def test_the_api_records_a_video_question_with_its_call(desk):
    from yichuang.organisation import services as org_services

    api = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(desk.consultant)}")
    call = _answered_call(desk.consultant)
    body = {
        "channel": "video",
        "question": "护照怎么办？",
        "solved": True,
        "answer": "到出入境窗口。",
        "video_call": call.pk,
    }
    done = api.post("/api/consultations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="v1")
    assert done.status_code == 201
    call.refresh_from_db()
    assert call.consultation.number == done.json()["number"]
    # The retry is the same request (the call now linked to it), not a refusal for a linked call.
    again = api.post("/api/consultations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="v1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    other = _answered_call(desk.consultant)
    differ = api.post("/api/consultations", {**body, "video_call": other.pk}, content_type="application/json",
                      HTTP_IDEMPOTENCY_KEY="v1")  # fmt: skip
    assert differ.status_code == 422 and "视频通话" in differ.json()["errors"][0]["reason"]
    foreign = api.post("/api/consultations", {**body, "video_call": 999999}, content_type="application/json")
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "video_call"
    assert Consultation.objects.count() == 1
