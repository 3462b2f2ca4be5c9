"""Versioning, review rules, the stale flag and who sees what (pages, files, API)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.core.models import AuditEvent
from yichuang.knowledge import queries, services
from yichuang.knowledge.models import Article, ArticleVersion
from yichuang.organisation.tests.factories import DepartmentFactory, UserFactory

from .helpers import Desk

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk():
    return Desk()


def _revise(desk, article, body, **kwargs):
    draft = services.new_draft(desk.editor, article)
    services.edit_draft(desk.editor, draft, title=draft.title, body=body, visibility=draft.visibility, **kwargs)
    services.submit(desk.editor, draft)
    services.publish(desk.admin, draft)
    return draft


def test_every_published_version_is_kept_and_the_diff_shows_the_change(desk):
    article = desk.publish(body="需要提交营业执照副本。")
    services.add_file(desk.editor, services.new_draft(desk.editor, article), SimpleUploadedFile("样表.pdf", PDF))
    draft = services.open_version(article)
    services.submit(desk.editor, draft)
    services.publish(desk.admin, draft)
    third = _revise(desk, article, "需要提交营业执照正本。")
    article.refresh_from_db()
    assert article.published == third
    assert [v.number for v in queries.published_versions(article)] == [3, 2, 1]
    assert third.files.get().name == "样表.pdf"  # files carried over to the next version
    assert ArticleVersion.objects.get(article=article, number=1).body == "需要提交营业执照副本。"
    pieces = queries.inline_diff("需要提交营业执照副本。", "需要提交营业执照正本。")
    assert ("delete", "副") in pieces and ("insert", "正") in pieces
    assert AuditEvent.objects.filter(action="knowledge.publish").count() == 3


def test_a_revision_posted_by_a_browser_diffs_only_what_changed(desk):
    article = desk.publish(body="问：要跑几次？\n答：最多一次。")
    # A form's textarea comes back with CRLF line breaks: the stored text and the diff keep LF.
    draft = _revise(desk, article, "问：要跑几次？\r\n答：一次都不用跑。")
    draft.refresh_from_db()
    assert draft.body == "问：要跑几次？\n答：一次都不用跑。"
    diff = queries.version_diff(ArticleVersion.objects.get(article=article, number=1), draft)
    changed = [piece for field in diff if field["changed"] for piece in field["pieces"] if piece[0] != "equal"]
    assert all("\n" not in text and "\r" not in text for _op, text in changed), changed


def test_only_department_editors_write_and_only_another_hall_admin_publishes(desk):
    other_officer = UserFactory(officer=True, department=DepartmentFactory())
    with pytest.raises(PermissionDenied):
        services.create_article(other_officer, department=desk.department, title="题", body="文")
    with pytest.raises(PermissionDenied):  # a hall admin reviews, the department writes
        services.create_article(desk.admin, department=desk.department, title="题", body="文")
    article = services.create_article(desk.editor, department=desk.department, title="题", body="文")
    version = article.versions.get()
    with pytest.raises(ValidationError):  # a draft is submitted first
        services.publish(desk.admin, version)
    services.submit(desk.editor, version)
    with pytest.raises(PermissionDenied):
        services.publish(desk.editor, version)
    with pytest.raises(ValidationError):  # a submitted version is not edited any more
        services.edit_draft(desk.editor, version, title="改", body="改", visibility="public")
    # A hall admin who also edits for the department never publishes their own version.
    both = UserFactory(officer=True, department=desk.department, roles=["backoffice_officer", "hall_admin"])
    own = services.create_article(both, department=desk.department, title="自己写的", body="文").versions.get()
    services.submit(both, own)
    with pytest.raises(PermissionDenied):
        services.publish(both, own)
    services.publish(desk.admin, own)


def test_returned_with_a_note_then_resubmitted(desk):
    article = services.create_article(desk.editor, department=desk.department, title="题", body="文")
    version = article.versions.get()
    services.submit(desk.editor, version)
    with pytest.raises(ValidationError):
        services.return_version(desk.admin, version, "")
    services.return_version(desk.admin, version, "请补充依据。")
    version.refresh_from_db()
    assert (version.status, version.review_note) == ("returned", "请补充依据。")
    services.edit_draft(desk.editor, version, title="题", body="文", legal_basis="某条例", visibility="public")
    services.submit(desk.editor, version)
    assert services.publish(desk.admin, version).published == version


def test_visibility_is_reviewed_with_the_version(desk):
    article = desk.publish(title="内部口径", visibility=Article.Visibility.INTERNAL)
    draft = services.new_draft(desk.editor, article)
    services.edit_draft(desk.editor, draft, title="内部口径", body="文", visibility="public")
    article.refresh_from_db()
    assert article.visibility == "internal"  # not public until a hall admin publishes it
    services.submit(desk.editor, draft)
    assert services.publish(desk.admin, draft).visibility == "public"


def test_new_draft_twice_gives_the_same_draft(desk):
    article = desk.publish()
    assert services.new_draft(desk.editor, article) == services.new_draft(desk.editor, article)


def test_sample_forms_are_checked(desk):
    draft = services.create_article(desk.editor, department=desk.department, title="样表", body="文").versions.get()
    with pytest.raises(ValidationError) as exc:
        services.add_file(desk.editor, draft, SimpleUploadedFile("x.pdf", b"not a pdf at all"))
    assert "file" in exc.value.message_dict
    assert not draft.files.exists()


@time_machine.travel(NOON, tick=False)
def test_stale_after_the_review_date(desk):
    article = desk.publish(title="过期文章")
    assert article.review_by == dt.date(2027, 6, 10)  # published without a date: a year on
    services.set_review_date(desk.editor, article, dt.date(2026, 6, 9))
    fresh = desk.publish(title="当天复核", review_by=None)
    services.set_review_date(desk.admin, fresh, dt.date(2026, 6, 10))
    stale = {a.pk: a.is_stale for a in queries.with_stale(Article.objects.all())}
    assert stale == {article.pk: True, fresh.pk: False}  # stale only once the date has passed
    assert queries.search("过期", public_only=True)[0].is_stale is True


def test_withdrawn_articles_are_not_found(desk):
    article = desk.publish(title="撤下的文章")
    services.withdraw(desk.editor, article)
    assert queries.search("撤下", public_only=False) == []
