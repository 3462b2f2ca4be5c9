"""The consultation pages: the desk records (once), the detail masks the asker for others and audits the full
view, the department's queue is scoped (another department: 404), the citizen reads and rates through the link."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from yichuang.consultation import services
from yichuang.consultation.models import Consultation, ConsultationRating
from yichuang.core import once
from yichuang.core.models import AuditEvent

from .conftest import at, published_article

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _escalated(desk, **extra):
    return services.record(
        desk.consultant, channel="phone", question="食品经营许可证到期怎么延续？", solved=False,
        department=desk.hall.samr, asker_name="张三丰", asker_phone="13800001111", **extra,
    )  # fmt: skip


def test_the_desk_records_a_phone_question_once(desk):
    client = _client(desk.consultant)
    page = client.get("/consult/")
    assert page.status_code == 200 and "登记咨询" in page.text
    token = once.new_token()
    data = {"channel": "phone", "question": "营业执照丢了怎么办？", "solved": "1", "answer": "登报声明后补领。",
            "asker_phone": "13800009999", "form_token": token}  # fmt: skip
    first = client.post("/consult/", data)
    c = Consultation.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/consult/{c.number}/"
    again = client.post("/consult/", data)
    assert again.status_code == 302 and Consultation.objects.count() == 1
    assert c.number in client.get("/consult/").text  # the day's list


def test_the_desk_shows_field_errors_and_keeps_the_entries(desk):
    client = _client(desk.consultant)
    page = client.post(
        "/consult/", {"channel": "phone", "question": "问一下", "solved": "0", "form_token": once.new_token()}
    )
    assert page.status_code == 422 and "未当场解决的咨询须转办到负责的部门" in page.text and "问一下" in page.text
    assert not Consultation.objects.exists()


def test_the_desk_is_for_consultants(desk):
    assert _client(desk.office.officer).get("/consult/").status_code == 403


def test_the_called_ticket_is_shown_and_used(desk):
    from yichuang.queue import services as queue

    queue.issue_ticket(desk.hall.general)
    ticket = queue.call_next(desk.hall.w_consult, desk.consultant)
    client = _client(desk.consultant)
    assert ticket.number in client.get("/consult/").text
    client.post("/consult/", {"channel": "window", "question": "窗口问题", "solved": "1", "answer": "答复"})
    assert Consultation.objects.get().ticket == ticket


def test_detail_masks_the_asker_and_audits_the_full_view(desk):
    c = _escalated(desk)
    other = _client(desk.consultant2).get(f"/consult/{c.number}/")
    assert other.status_code == 200
    assert "13800001111" not in other.text and "138****1111" in other.text and "张**" in other.text
    assert "?full=1" not in other.text
    refused = _client(desk.consultant2).get(f"/consult/{c.number}/?full=1")
    assert "13800001111" not in refused.text
    assert not AuditEvent.objects.filter(action="consultation.view_personal").exists()
    mine = _client(desk.consultant)
    assert "13800001111" not in mine.get(f"/consult/{c.number}/").text  # masked until asked for
    full = mine.get(f"/consult/{c.number}/?full=1")
    assert "13800001111" in full.text and "张三丰" in full.text
    event = AuditEvent.objects.get(action="consultation.view_personal")
    assert event.actor == desk.consultant and event.object_id == str(c.pk)
    expert = _client(desk.office.officer).get(f"/consult/{c.number}/?full=1")
    assert "13800001111" in expert.text


def test_another_department_gets_404_and_cannot_answer(desk):
    c = _escalated(desk)
    tax = _client(desk.office.tax_officer)
    assert tax.get(f"/consult/{c.number}/").status_code == 404
    assert tax.post(f"/consult/{c.number}/answer/", {"reply": "答复"}).status_code == 404
    assert c.number not in tax.get("/consult/department/").text
    c.refresh_from_db()
    assert c.status == Consultation.Status.ESCALATED


def test_the_department_queue_is_red_past_the_deadline_and_yellow_on_the_day(desk):
    with time_machine.travel(at(2026, 3, 12, 10), tick=False):  # Thursday: due Friday 13th 17:30
        red = _escalated(desk)
    with time_machine.travel(at(2026, 3, 16, 10), tick=False):  # Monday: due Tuesday 17th 17:30
        yellow = _escalated(desk)
    with time_machine.travel(at(2026, 3, 17, 9), tick=False):
        page = _client(desk.office.officer).get("/consult/department/")
    assert page.status_code == 200
    text = page.text
    assert f'class="row-red" data-number="{red.number}"' in text
    assert f'class="row-yellow" data-number="{yellow.number}"' in text
    assert text.index(red.number) < text.index(yellow.number)


def test_the_expert_answers_from_the_queue(desk):
    c = _escalated(desk)
    client = _client(desk.office.officer)
    done = client.post(
        f"/consult/{c.number}/answer/",
        {"reply": "请在到期前 30 个工作日提出延续申请。", "next": "/consult/department/"},
    )
    assert done.status_code == 302 and done["Location"] == "/consult/department/"
    c.refresh_from_db()
    assert c.status == Consultation.Status.REPLIED
    empty = client.post(f"/consult/{c.number}/answer/", {"reply": ""})
    assert empty.status_code == 422


def test_the_citizen_reads_the_answer_and_rates_once(desk):
    c = _escalated(desk)
    citizen = Client()
    waiting = citizen.get(f"/consult/t/{c.token}/")
    assert (
        waiting.status_code == 200
        and "已转县市场监督管理局答复" in waiting.text
        and 'id="rate-form"' not in waiting.text
    )
    services.answer(c, desk.office.officer, reply="请在到期前提出延续申请。")
    page = citizen.get(f"/consult/t/{c.token}/")
    assert "请在到期前提出延续申请。" in page.text and 'id="rate-form"' in page.text
    # The asker's phone is not on their public page.
    assert "13800001111" not in page.text
    token = once.new_token()
    rated = citizen.post(f"/consult/t/{c.token}/", {"level": "5", "comment": "很清楚", "form_token": token})
    assert rated.status_code == 302
    again = citizen.post(f"/consult/t/{c.token}/", {"level": "1", "form_token": once.new_token()})
    assert again.status_code == 422 and "只能评价一次" in again.text
    assert ConsultationRating.objects.get().level == 5
    assert "您已评价" in citizen.get(f"/consult/t/{c.token}/").text


def test_an_unknown_token_is_404(desk):
    assert Client().get("/consult/t/" + "x" * 32 + "/").status_code == 404


def test_a_citizen_asks_online_and_lands_on_the_link(desk):
    client = Client()
    assert client.get("/consult/ask/").status_code == 200
    bad = client.post(
        "/consult/ask/", {"question": "社保怎么转移？", "asker_phone": "123", "form_token": once.new_token()}
    )
    assert bad.status_code == 422 and "11 位手机号码" in bad.text
    done = client.post(
        "/consult/ask/", {"question": "社保怎么转移？", "asker_phone": "13800007777", "form_token": once.new_token()}
    )
    c = Consultation.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/consult/t/{c.token}/"
    assert c.channel == "online" and c.status == Consultation.Status.OPEN
    desk_page = _client(desk.consultant).get("/consult/")
    assert c.number in desk_page.text  # waiting at the desk


def test_the_desk_replies_to_an_online_question(desk):
    c = services.ask_online(question="社保怎么转移？", asker_phone="13800007777")
    client = _client(desk.consultant)
    assert client.post(f"/consult/{c.number}/reply/", {"answer": "到人社窗口办理。"}).status_code == 302
    c.refresh_from_db()
    assert c.status == Consultation.Status.ANSWERED


def test_suggestions_need_two_characters_and_answer_a_fragment(desk):
    client = _client(desk.consultant)
    short = client.get("/consult/suggest/", {"q": "营"})
    assert short.status_code == 200 and "<html" not in short.text
    found = client.get("/consult/suggest/", {"q": "营业执照"})
    assert found.status_code == 200


def test_citizens_are_linked_to_the_public_page_of_an_article_staff_to_the_knowledge_base(desk):
    article = published_article(desk)
    public, staff = f'href="/knowledge/a/{article.pk}/"', f'href="/knowledge/{article.pk}/"'
    anonymous = Client().get("/consult/suggest/", {"q": "食品经营许可延续"}).text
    assert public in anonymous and staff not in anonymous
    assert Client().get(f"/knowledge/a/{article.pk}/").status_code == 200
    desk_page = _client(desk.consultant).get("/consult/suggest/", {"q": "食品经营许可延续"}).text
    assert staff in desk_page and f'value="{article.pk}"' in desk_page
    c = _escalated(desk)
    services.answer(c, desk.office.officer, reply="请在到期前 30 个工作日申请延续。", articles=[article])
    citizen = Client().get(f"/consult/t/{c.token}/").text
    assert public in citizen and staff not in citizen


def test_overdue_level_in_detail(desk):
    with time_machine.travel(at(2026, 3, 12, 10), tick=False):
        c = _escalated(desk)
    with time_machine.travel(at(2026, 3, 16, 9), tick=False):
        page = _client(desk.consultant).get(f"/consult/{c.number}/")
    assert "已超期" in page.text
    assert c.escalation.due_at == dt.datetime(2026, 3, 13, 17, 30, tzinfo=timezone.get_current_timezone())


def test_online_questions_are_limited_per_address(desk, settings):
    from django.conf import settings as installed

    assert installed.CONSULT_ASK_RATE == "10/3600"  # the default of settings.py (env CONSULT_ASK_RATE unset)
    settings.CONSULT_ASK_RATE = "2/3600"  # the setting, read at each request
    client = Client()
    for n in range(2):
        # A form sent back with an error (no phone) before each question costs nothing of the allowance.
        typo = client.post("/consult/ask/", {"question": f"问题{n}", "asker_phone": "", "form_token": once.new_token()})
        assert typo.status_code == 422
        data = {"question": f"问题{n}", "asker_phone": "13800007777", "form_token": once.new_token()}
        assert client.post("/consult/ask/", data).status_code == 302
    refused = client.post(
        "/consult/ask/", {"question": "再问", "asker_phone": "13800007777", "form_token": once.new_token()}
    )
    assert refused.status_code == 429 and "提问过于频繁" in refused.text and refused["Retry-After"]
    assert "密码" not in refused.text  # the sign-in hint is for sign-ins only
    assert Consultation.objects.count() == 2


def test_the_asker_s_link_is_shown_to_the_desk_never_to_the_answering_department(desk):
    c = _escalated(desk)
    link = f"/consult/t/{c.token}/"
    assert link in _client(desk.consultant).get(f"/consult/{c.number}/").text
    expert_page = _client(desk.office.officer).get(f"/consult/{c.number}/")
    assert expert_page.status_code == 200 and link not in expert_page.text
