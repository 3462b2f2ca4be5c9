"""建议入库 from the desk (issue 14): the consultant who answered a question on the spot suggests the answer to the
department it concerns; that department's officers and lead see it on their queue and draft the article once;
nobody else suggests it, and another department neither sees nor drafts it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from yichuang.consultation import services
from yichuang.consultation.models import Consultation
from yichuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _solved(desk, matters=("PERMIT",)):
    return services.record(
        desk.consultant, channel="phone", question="营业执照到期怎么延续？", solved=True,
        answer="到期前 30 个工作日内申请延续。", matters=list(matters),
    )  # fmt: skip


def test_the_consultant_who_answered_suggests_once(desk):
    c = _solved(desk)
    with pytest.raises(PermissionDenied):  # another consultant did not answer it
        services.suggest_article(c, desk.consultant2)
    with pytest.raises(PermissionDenied):  # nor does an officer suggest from the desk
        services.suggest_article(c, desk.office.officer)
    services.suggest_article(c, desk.consultant)
    c.refresh_from_db()
    assert c.article_suggested_by == desk.consultant and c.article_suggested_at is not None
    assert c.article_suggested_department == desk.hall.samr  # the one department of its matters
    assert AuditEvent.objects.filter(action="consultation.suggest_article", object_id=str(c.pk)).count() == 1
    first_at = c.article_suggested_at
    with pytest.raises(ValidationError) as twice:
        services.suggest_article(c, desk.consultant, department=desk.hall.tax)
    assert "已建议入库" in twice.value.message_dict["department"][0]
    c.refresh_from_db()
    assert c.article_suggested_department == desk.hall.samr and c.article_suggested_at == first_at
    assert AuditEvent.objects.filter(action="consultation.suggest_article").count() == 1


def test_matters_of_several_departments_or_none_need_the_consultants_choice(desk):
    for matters in (("PERMIT", "INVOICE"), ()):
        c = _solved(desk, matters)
        with pytest.raises(ValidationError) as refused:
            services.suggest_article(c, desk.consultant)
        assert "请选择建议入库的部门" in refused.value.message_dict["department"][0]
        assert Consultation.objects.get(pk=c.pk).article_suggested_by_id is None
        services.suggest_article(c, desk.consultant, department=desk.hall.tax.pk)
        assert Consultation.objects.get(pk=c.pk).article_suggested_department == desk.hall.tax


def test_only_a_question_answered_on_the_spot(desk):
    c = services.record(desk.consultant, channel="phone", question="问题", solved=False, matters=["PERMIT"])
    with pytest.raises(ValidationError):  # escalated: the department proposes it itself
        services.suggest_article(c, desk.consultant)
    assert Consultation.objects.get(pk=c.pk).article_suggested_by_id is None


def test_the_desk_suggests_and_the_departments_officer_drafts_it_from_the_queue(desk):
    from yichuang.knowledge.models import Article

    c = _solved(desk)
    mine = _client(desk.consultant)
    page = mine.get(f"/consult/{c.number}/")
    assert 'id="btn-suggest"' in page.text and 'name="department"' not in page.text  # the matters name it
    assert _client(desk.consultant2).get(f"/consult/{c.number}/").text.count('id="btn-suggest"') == 0
    assert _client(desk.consultant2).post(f"/consult/{c.number}/suggest-article/").status_code == 403
    # Before the suggestion, the department sees neither the consultation nor a suggestion.
    officer = _client(desk.office.officer)
    assert officer.get(f"/consult/{c.number}/").status_code == 404
    assert c.number not in officer.get("/consult/department/").text

    done = mine.post(f"/consult/{c.number}/suggest-article/")
    assert done.status_code == 302
    twice = mine.post(f"/consult/{c.number}/suggest-article/")
    assert twice.status_code == 422 and "已建议入库" in twice.text
    assert 'id="suggested"' in mine.get(f"/consult/{c.number}/").text

    # Another department's officer neither sees it nor drafts it.
    tax = _client(desk.office.tax_officer)
    assert c.number not in tax.get("/consult/department/").text
    assert tax.get(f"/consult/{c.number}/").status_code == 404
    assert tax.post(f"/consult/{c.number}/propose/").status_code == 404

    queue = officer.get("/consult/department/")
    assert 'id="suggestions"' in queue.text and f'data-number="{c.number}"' in queue.text
    drafted = officer.post(f"/consult/{c.number}/propose/", {"next": "/consult/department/"})
    assert drafted.status_code == 302 and drafted.url == "/consult/department/"
    article = Article.objects.get()
    assert article.department == desk.hall.samr and article.visibility == Article.Visibility.INTERNAL
    assert f'data-number="{c.number}"' not in officer.get("/consult/department/").text  # done: off the list
    officer.post(f"/consult/{c.number}/propose/", {"next": "/consult/department/"})
    lead = _client(desk.office.lead)
    lead.post(f"/consult/{c.number}/propose/")
    assert Article.objects.count() == 1  # drafted once


def test_the_consultant_chooses_the_department_on_the_page(desk):
    c = _solved(desk, ("PERMIT", "INVOICE"))
    mine = _client(desk.consultant)
    assert 'name="department"' in mine.get(f"/consult/{c.number}/").text
    missing = mine.post(f"/consult/{c.number}/suggest-article/", {"department": ""})
    assert missing.status_code == 422 and "请选择建议入库的部门" in missing.text
    assert mine.post(f"/consult/{c.number}/suggest-article/", {"department": desk.hall.tax.pk}).status_code == 302
    assert f'data-number="{c.number}"' in _client(desk.office.tax_officer).get("/consult/department/").text
    assert f'data-number="{c.number}"' not in _client(desk.office.officer).get("/consult/department/").text
