"""Pages and API: internal articles never reach anonymous users; staff see them; files go through a check."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yichuang.knowledge import services
from yichuang.knowledge.models import Article, SearchLog
from yichuang.organisation.models import ApiToken
from yichuang.organisation.tests.factories import UserFactory

from .helpers import Desk

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def desk():
    return Desk()


@pytest.fixture
def pair(desk):
    public = desk.publish(title="公开的登记问答", body="公开正文")
    internal = desk.publish(title="内部的登记口径", body="内部正文", visibility=Article.Visibility.INTERNAL)
    for article in (public, internal):
        draft = services.new_draft(desk.editor, article)
        services.add_file(desk.editor, draft, SimpleUploadedFile(f"样表{article.pk}.pdf", PDF))
        services.submit(desk.editor, draft)
        services.publish(desk.admin, draft)
        article.refresh_from_db()
    return public, internal


def _file_url(article):
    return f"/knowledge/f/{article.published.files.get().pk}/"


def test_anonymous_users_never_see_internal_articles(client, desk, pair):
    public, internal = pair
    assert client.get(f"/knowledge/a/{public.pk}/").status_code == 200
    assert client.get(f"/knowledge/a/{internal.pk}/").status_code == 404
    assert client.get(_file_url(public)).status_code == 200
    assert client.get(_file_url(internal)).status_code == 404
    assert client.get("/knowledge/").status_code == 302  # staff pages: login
    page = client.get(f"/guide/matters/{desk.matter.code}/").content.decode()
    assert "公开的登记问答" in page and "内部的登记口径" not in page
    listed = client.get("/api/knowledge", {"search": "登记"}).json()
    assert [a["id"] for a in listed] == [public.pk]
    assert client.get(f"/api/knowledge/{internal.pk}").status_code == 404
    detail = client.get(f"/api/knowledge/{public.pk}").json()
    assert detail["body"] == "公开正文" and detail["files"][0]["url"] == _file_url(public)
    by_matter = client.get("/api/knowledge", {"matter": desk.matter.code}).json()
    assert [a["id"] for a in by_matter] == [public.pk]
    assert client.get("/api/knowledge", {"matter": "NOPE"}).status_code == 400
    assert SearchLog.objects.filter(source="api", query="登记", hits=1).exists()


def test_unpublished_drafts_stay_with_the_department(client, desk):
    draft = services.create_article(desk.editor, department=desk.department, title="草稿", body="文").versions.get()
    services.add_file(desk.editor, draft, SimpleUploadedFile("草稿.pdf", PDF))
    assert client.get(f"/knowledge/a/{draft.article_id}/").status_code == 404
    assert client.get(f"/knowledge/f/{draft.files.get().pk}/").status_code == 404
    clerk = UserFactory(window_clerk=True)
    client.force_login(clerk)
    assert client.get(f"/knowledge/v/{draft.pk}/").status_code == 404
    client.force_login(desk.editor)
    assert client.get(f"/knowledge/v/{draft.pk}/").status_code == 200
    assert client.get(f"/knowledge/f/{draft.files.get().pk}/").status_code == 200


def test_staff_see_internal_articles_on_pages_and_with_a_token(client, desk, pair):
    public, internal = pair
    clerk = UserFactory(window_clerk=True)
    ApiToken.objects.create(user=clerk, key_hash=ApiToken.hash("clerk-token"), label="test")
    listed = client.get("/api/knowledge", {"search": "登记"}, HTTP_AUTHORIZATION="Bearer clerk-token").json()
    assert {a["id"] for a in listed} == {public.pk, internal.pk}
    assert client.get("/api/knowledge", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    client.force_login(clerk)
    assert client.get(f"/api/knowledge/{internal.pk}").status_code == 200
    page = client.get("/knowledge/", {"q": "登记"}).content.decode()
    assert "公开的登记问答" in page and "内部的登记口径" in page
    assert client.get(f"/knowledge/{internal.pk}/").status_code == 200
    assert client.get(_file_url(internal)).status_code == 200
    assert client.get("/knowledge/review/").status_code == 403  # hall admins review


def test_editor_writes_admin_publishes_through_the_pages(client, desk):
    client.force_login(desk.editor)
    page = client.get("/knowledge/new/")
    token = page.context["form"] and page.content.decode().split('name="form_token" value="')[1].split('"')[0]
    data = {
        "form_token": token, "title": "食品经营许可问答", "kind": "qa", "visibility": "public",
        "matters": [desk.matter.pk], "legal_basis": "", "body": "开饭店要办食品经营许可证。", "review_by": "",
    }  # fmt: skip
    first = client.post("/knowledge/new/", data)
    again = client.post("/knowledge/new/", data)  # a double click
    assert first.status_code == 302 and again.status_code == 302
    assert Article.objects.count() == 1
    version = Article.objects.get().versions.get()
    assert client.post(f"/knowledge/v/{version.pk}/submit/").status_code == 302
    assert client.post(f"/knowledge/v/{version.pk}/publish/", {"note": ""}).status_code == 403
    client.force_login(desk.admin)
    assert "食品经营许可问答" in client.get("/knowledge/review/").content.decode()
    assert client.post(f"/knowledge/v/{version.pk}/publish/", {"note": "同意"}).status_code == 302
    assert client.get(f"/knowledge/a/{version.article_id}/").status_code == 200
    assert client.get(f"/knowledge/{version.article_id}/history/").status_code == 200


def test_searches_page_lists_frequent_and_empty_queries(client, desk):
    for query, hits in [("社保", 2), ("社保", 1), ("火星", 0)]:
        SearchLog.objects.create(query=query, hits=hits, source="guide")
    SearchLog.objects.create(query="去年的问题", hits=0, source="guide", at=timezone.now() - dt.timedelta(days=31))
    client.force_login(desk.editor)
    page = client.get("/knowledge/searches/").content.decode()
    assert "社保" in page and "火星" in page
    zero = page.split('id="kb-zero"')[1]
    assert "火星" in zero and "社保" not in zero
    assert "去年的问题" not in page  # the last 30 days only


def test_the_review_date_field_shows_the_date_it_holds(client, desk):
    article = desk.publish(title="公开的登记问答", body="公开正文")
    Article.objects.filter(pk=article.pk).update(review_by=dt.date(2027, 12, 8))
    client.force_login(desk.editor)
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    # A date field's value must be yyyy-mm-dd; the locale's 2027/12/08 leaves the field empty in the browser.
    assert 'name="review_by" value="2027-12-08"' in page
