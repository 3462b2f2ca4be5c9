"""The desk's transitions: recording (from the called ticket, by phone), the department answering (only its own),
the answer through the outbox, rating once, numbering without gaps, audit events."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from yichuang.consultation import services
from yichuang.consultation.models import Consultation, ConsultationRating
from yichuang.core.models import AuditEvent
from yichuang.core.tests.concurrency import run_together
from yichuang.notifications.models import Message
from yichuang.queue import services as queue

pytestmark = pytest.mark.django_db


def _phone_question(desk, **extra):
    fields = {"channel": "phone", "question": "个体工商户营业执照怎么办？", "asker_phone": "13800001111"}
    return services.record(desk.consultant, **{**fields, **extra})


def test_a_question_solved_on_the_spot(desk):
    c = _phone_question(desk, solved=True, answer="带身份证到企业开办专区办理。", matters=["PERMIT"])
    assert c.number.startswith("ZX-") and c.status == Consultation.Status.ANSWERED and c.solved
    assert [m.code for m in c.matters.all()] == ["PERMIT"] and c.staff == desk.consultant
    assert AuditEvent.objects.filter(action="consultation.record", object_id=str(c.pk)).exists()
    # Solved at once: nobody is messaged.
    assert not Message.objects.filter(kind=Message.Kind.CONSULTATION_ANSWERED).exists()


def test_solved_needs_the_answer_and_unsolved_a_department(desk):
    with pytest.raises(ValidationError) as refused:
        _phone_question(desk, solved=True, answer="")
    assert "answer" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _phone_question(desk, solved=False)  # no matter, no department: nobody would answer
    assert "department" in refused.value.message_dict
    assert not Consultation.objects.exists()


def test_an_unsolved_question_goes_to_the_matters_department(desk):
    c = _phone_question(desk, solved=False, matters=["PERMIT"], note="涉及特殊食品")
    assert c.status == Consultation.Status.ESCALATED
    assert c.escalation.department == desk.hall.samr and c.escalation.note == "涉及特殊食品"


def test_window_consultations_come_from_the_ticket_called_at_the_consultants_window(desk):
    hall = desk.hall
    with pytest.raises(ValidationError) as refused:
        services.record(desk.consultant, channel="window", question="问题", solved=True, answer="答复")
    assert "没有叫到的号码" in refused.value.message_dict["ticket"][0]
    ticket = queue.issue_ticket(hall.general, phone="13800003333")
    called = queue.call_next(hall.w_consult, desk.consultant)
    assert called.pk == ticket.pk
    c = services.record(desk.consultant, channel="window", question="问题", solved=True, answer="答复")
    assert c.ticket == ticket and c.window == hall.w_consult
    # After the visit ended at this window, its ticket can still be recorded; another window's ticket cannot.
    queue.start_serving(ticket, desk.consultant)
    queue.finish(ticket, desk.consultant)
    later = services.record(desk.consultant, channel="window", question="补记", solved=True, answer="答", ticket=ticket)
    assert later.ticket == ticket
    elsewhere = queue.issue_ticket(hall.general)
    assert queue.call_next(hall.w_general, hall.general_clerk).pk == elsewhere.pk
    with pytest.raises(ValidationError) as refused:
        services.record(desk.consultant, channel="window", question="问", solved=True, answer="答", ticket=elsewhere)
    assert "不是您窗口今天叫到的号码" in refused.value.message_dict["ticket"][0]
    # A consultant not seated at a window cannot record a window consultation.
    with pytest.raises(ValidationError):
        services.record(desk.consultant2, channel="window", question="问题", solved=True, answer="答复")


def test_only_consultants_record(desk):
    with pytest.raises(PermissionDenied):
        services.record(desk.office.officer, channel="phone", question="问题", solved=True, answer="答")


def test_the_department_answers_and_the_asker_is_told_with_the_link(desk):
    c = _phone_question(desk, solved=False, department=desk.hall.samr)
    with pytest.raises(PermissionDenied):  # another department's officer
        services.answer(c, desk.office.tax_officer, reply="不是我们的")
    with pytest.raises(PermissionDenied):  # the consultant is no expert of the department
        services.answer(c, desk.consultant, reply="答复")
    services.answer(c, desk.office.officer, reply="可以在网上办理，三个工作日内办结。")
    c.refresh_from_db()
    assert c.status == Consultation.Status.REPLIED and c.escalation.expert == desk.office.officer
    message = Message.objects.get(kind=Message.Kind.CONSULTATION_ANSWERED)
    assert message.recipient == "13800001111"
    assert c.number in message.body and f"/consult/t/{c.token}/" in message.body
    with pytest.raises(ValidationError):  # answered once
        services.answer(c, desk.office.lead, reply="再答一次")


def test_an_online_question_is_answered_at_the_desk_or_escalated(desk):
    c = services.ask_online(question="社保卡丢了怎么补办？", asker_phone="13800004444", asker_name="王")
    assert c.channel == "online" and c.status == Consultation.Status.OPEN and c.staff is None
    services.reply_at_desk(c, desk.consultant, answer="到人社窗口补办。")
    c.refresh_from_db()
    assert c.status == Consultation.Status.ANSWERED and c.staff == desk.consultant
    assert Message.objects.filter(kind=Message.Kind.CONSULTATION_ANSWERED, recipient="13800004444").count() == 1
    with pytest.raises(ValidationError):
        services.escalate(c, desk.consultant, department=desk.hall.samr)  # not waiting any more
    other = services.ask_online(question="食品经营许可能否加急？", asker_phone="13800005555")
    services.escalate(other, desk.consultant, department="samr")
    other.refresh_from_db()
    assert other.status == Consultation.Status.ESCALATED and other.escalation.department == desk.hall.samr


def test_an_online_question_needs_a_mobile_number(desk):
    with pytest.raises(ValidationError) as refused:
        services.ask_online(question="问题", asker_phone="")
    assert "asker_phone" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.ask_online(question="问题", asker_phone="12345")


def test_rating_once_after_an_answer(desk):
    waiting = services.ask_online(question="问题", asker_phone="13800004444")
    with pytest.raises(ValidationError) as refused:  # nothing answered yet
        services.rate(waiting, level=5)
    assert "尚未答复" in refused.value.message_dict["level"][0]
    c = _phone_question(desk, solved=True, answer="答复")
    with pytest.raises(ValidationError):
        services.rate(c, level=6)
    services.rate(c, level=4, comment="清楚")
    with pytest.raises(ValidationError) as refused:
        services.rate(c, level=1)
    assert "只能评价一次" in refused.value.message_dict["level"][0]
    assert ConsultationRating.objects.get().level == 4


def test_the_one_to_one_row_decides_when_the_check_misses_the_first_rating(desk, monkeypatch):
    # What a second rating meets when the first commits between its check and its insert (SQLite serializes
    # writers, so the race itself runs only on PostgreSQL below).
    c = _phone_question(desk, solved=True, answer="答复")
    services.rate(c, level=5)
    monkeypatch.setattr(services, "_already_rated", lambda consultation: False)
    with pytest.raises(ValidationError) as refused:
        services.rate(c, level=1)
    assert "只能评价一次" in refused.value.message_dict["level"][0]
    assert ConsultationRating.objects.get().level == 5


@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_make_one(desk):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the constraint path is tested above")
    c = _phone_question(desk, solved=True, answer="答复")
    results = run_together(lambda: services.rate(c, level=5), lambda: services.rate(c, level=1))
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    assert ConsultationRating.objects.filter(consultation=c).count() == 1


@pytest.mark.django_db(transaction=True)
def test_numbers_have_no_gaps_under_concurrency_and_refusals(desk):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers (the in-memory test database cannot run them at once)")
    with pytest.raises(ValidationError):
        _phone_question(desk, solved=True, answer="")  # refused: draws no number
    jobs = [lambda: _phone_question(desk, solved=True, answer="答复").number for _ in range(4)]
    results = run_together(*jobs)
    assert all(kind == "ok" for kind, _ in results), results
    seqs = sorted(int(number.rsplit("-", 1)[1]) for _, number in results)
    assert seqs == [1, 2, 3, 4]


def test_a_refused_consultation_draws_no_number(desk):
    with pytest.raises(ValidationError):
        _phone_question(desk, solved=True, answer="")
    first = _phone_question(desk, solved=True, answer="答复")
    second = _phone_question(desk, solved=True, answer="答复")
    assert [first.number[-4:], second.number[-4:]] == ["0001", "0002"]


def test_personal_data_is_seen_by_the_recorder_and_the_answering_expert_only(desk):
    c = _phone_question(desk, solved=False, department=desk.hall.samr, asker_name="张三")
    assert services.sees_personal_data(desk.consultant, c)
    assert not services.sees_personal_data(desk.consultant2, c)
    assert services.sees_personal_data(desk.office.officer, c)  # open: the department's experts
    assert not services.sees_personal_data(desk.office.tax_officer, c)
    assert not services.sees_personal_data(desk.office.supervisor, c)
    services.answer(c, desk.office.officer, reply="答复")
    c = Consultation.objects.get(pk=c.pk)
    assert services.sees_personal_data(desk.office.officer, c)
    assert not services.sees_personal_data(desk.office.officer2, c)  # answered: only who answered


def test_the_departments_expert_proposes_the_answer_as_a_draft_article(desk):
    from yichuang.knowledge.models import Article, ArticleVersion

    c = _phone_question(desk, solved=False, department=desk.hall.samr, matters=["PERMIT"])
    with pytest.raises(ValidationError):  # nothing answered yet
        services.propose_article(c, desk.office.officer)
    services.answer(c, desk.office.officer, reply="到期前 30 个工作日内申请延续。")
    with pytest.raises(PermissionDenied):  # the desk is no department's editor
        services.propose_article(c, desk.consultant)
    with pytest.raises(PermissionDenied):  # another department's officer
        services.propose_article(c, desk.office.tax_officer)
    article = services.propose_article(c, desk.office.officer)
    c.refresh_from_db()
    assert c.proposed_article == article and article.department == desk.hall.samr
    assert article.visibility == Article.Visibility.INTERNAL and article.published_id is None
    draft = article.versions.get()
    assert draft.status == ArticleVersion.Status.DRAFT and "到期前 30 个工作日内申请延续。" in draft.body
    assert [m.code for m in article.matters.all()] == ["PERMIT"]
    with pytest.raises(ValidationError):
        services.propose_article(c, desk.office.lead)  # proposed once


def test_a_key_replays_only_the_same_question(desk):
    first = _phone_question(desk, solved=False, matters=["PERMIT"], note="急", idempotency_key="k1")
    assert first.replayed is False
    again = _phone_question(desk, solved=False, matters=["PERMIT"], note="急", idempotency_key="k1")
    assert again.replayed is True and again.pk == first.pk
    with pytest.raises(ValidationError) as refused:
        _phone_question(desk, solved=False, matters=["PERMIT"], note="不急", idempotency_key="k1")
    assert "转办说明" in refused.value.message_dict["idempotency_key"][0]
    assert Consultation.objects.count() == 1 and Consultation.objects.get().escalation.note == "急"


@pytest.mark.django_db(transaction=True)
def test_one_key_twice_at_once_makes_one_consultation(desk):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers (the in-memory test database cannot run them at once)")
    job = lambda: _phone_question(desk, solved=True, answer="答复", idempotency_key="twice").number  # noqa: E731
    results = run_together(job, job)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert results[0][1] == results[1][1]
    assert Consultation.objects.count() == 1
    assert Consultation.objects.get().number.endswith("-0001")  # the loser's number was rolled back, no gap
