"""政策业务信息库: every change to an article, one function per transition.

Who acts:
- a department editor — a back-office officer or the lead of the article's department (only their own
  department) — creates an article, writes and edits drafts, attaches files, submits for review, sets the review
  date and may withdraw the department's article;
- a hall admin reviews: publishes a submitted version or returns it with a note; may also withdraw an article
  and set its review date. A hall admin never publishes a version they wrote themselves (four eyes: whoever holds
  both roles needs another admin).

Versions: draft → submitted → published, or submitted → returned → (edited) → submitted again. A published
version is never changed; a new text is a new version (`new_draft`), its files carried over. Publishing makes
the version the article's `published` one (its visibility reviewed with it), refreshes `search_text` and moves
the review date on when it has passed or is missing (a new text reviewed is a reviewed article).

Each function locks the article row, checks the step, writes, and records one audit event in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Matter
from yichuang.catalogue.search import pinyin_forms
from yichuang.core import audit
from yichuang.intake.uploads import upload_problem
from yichuang.organisation.roles import Role, acts_as, member_of

from .models import Article, ArticleFile, ArticleVersion
from .queries import search_grams_of

Status = ArticleVersion.Status
TITLE_LIMIT = 200
BODY_LIMIT = 20000
NOTE_LIMIT = 2000
FILES_PER_VERSION = 10
# How far a review date is moved on when an article is published without one (or with one passed).
DEFAULT_REVIEW_DAYS = 365
OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)


# --- who may act -------------------------------------------------------------------------------------


def may_edit(user, department_id) -> bool:
    """A department editor: an officer or the lead of that department."""
    return member_of(user, department_id, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)


def may_review(user) -> bool:
    return acts_as(user, Role.HALL_ADMIN)


def is_editor(user) -> bool:
    """Edits some department's articles (their own department's)."""
    return may_edit(user, getattr(user, "department_id", None))


def may_see_internal(user) -> bool:
    """Staff read internal articles: any hall role (window and consultation staff answer with them)."""
    from yichuang.organisation.roles import has_any_role

    return has_any_role(user)


def _ensure_editor(user, department_id) -> None:
    if not may_edit(user, department_id):
        raise PermissionDenied(_("只有本部门的后台审批人员或部门负责人可以编写本部门的文章。"))


def _ensure_reviewer(user) -> None:
    if not may_review(user):
        raise PermissionDenied(_("只有大厅管理员可以审核发布文章。"))


# --- input -------------------------------------------------------------------------------------------


def _text(value, field: str, limit: int, *, required: bool = True) -> str:
    # Browsers post a textarea's line breaks as CRLF; stored as LF, so the diff between versions shows the change
    # made, not every line break of a text written by the loader or the API.
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("内容含有不允许的控制字符。")]})
    if required and not text:
        raise ValidationError({field: [_("此项为必填。")]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("请选择有效的选项。")]})
    return value


def _matters(values, department_id) -> list[Matter]:
    ids = []
    for value in values or ():
        try:
            ids.append(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            raise ValidationError({"matters": [_("事项无效。")]}) from None
    found = list(Matter.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"matters": [_("事项不存在。")]})
    if any(m.department_id != department_id for m in found):
        raise ValidationError({"matters": [_("只能关联本部门实施的事项。")]})
    return found


def _date(value, field: str = "review_by") -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError({field: [_("日期格式应为 YYYY-MM-DD。")]}) from None
    if not isinstance(value, dt.date):
        raise ValidationError({field: [_("日期无效。")]})
    if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        raise ValidationError({field: [_("日期超出范围。")]})
    return value


def _collect(*checks) -> list:
    """Run every check, so all fields' errors are shown at once."""
    errors: dict[str, list[str]] = {}
    results = []
    for check in checks:
        try:
            results.append(check())
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            results.append(None)
    if errors:
        raise ValidationError(errors)
    return results


def _locked(article: Article | int) -> Article:
    pk = article.pk if isinstance(article, Article) else article
    return Article.objects.select_for_update().get(pk=pk)


def _locked_version(version: ArticleVersion | int) -> tuple[Article, ArticleVersion]:
    pk = version.pk if isinstance(version, ArticleVersion) else version
    article_id = ArticleVersion.objects.values_list("article_id", flat=True).get(pk=pk)
    article = _locked(article_id)  # the article's lock serialises every change to its versions
    return article, ArticleVersion.objects.get(pk=pk)


def _ensure_status(version: ArticleVersion, *allowed: str) -> None:
    if version.status not in allowed:
        raise ValidationError(
            _("该版本当前状态为“%(status)s”，不能进行此操作。") % {"status": version.get_status_display()}
        )


def search_text_of(article: Article, version: ArticleVersion) -> str:
    """What search looks in: the published version's title, basis and body, the department, the matters (names,
    codes), and the pinyin of the title (full and initials), lower-cased as the guide's matters are."""
    full, initials = pinyin_forms(version.title)
    matters = list(article.matters.values_list("code", "name"))
    parts = [
        version.title,
        article.department.name,
        *(f"{code} {name}" for code, name in matters),
        version.legal_basis,
        version.body,
        full,
        initials,
    ]
    return " ".join(" ".join(p.split()) for p in parts if p).lower()


# --- transitions -------------------------------------------------------------------------------------


@transaction.atomic
def create_article(
    actor,
    *,
    department,
    title: str,
    body: str,
    kind: str = Article.Kind.QA,
    visibility: str = Article.Visibility.PUBLIC,
    legal_basis: str = "",
    matters=(),
    review_by=None,
    now: dt.datetime | None = None,
    request=None,
) -> Article:
    """A new article of the editor's department, with its first draft (version 1)."""
    department_id = getattr(department, "pk", department)
    _ensure_editor(actor, department_id)
    now = now or timezone.now()
    title, body, legal_basis, kind, visibility, found, review_by = _collect(
        lambda: _text(title, "title", TITLE_LIMIT),
        lambda: _text(body, "body", BODY_LIMIT),
        lambda: _text(legal_basis, "legal_basis", 500, required=False),
        lambda: _choice(kind, Article.Kind, "kind"),
        lambda: _choice(visibility, Article.Visibility, "visibility"),
        lambda: _matters(matters, department_id),
        lambda: _date(review_by),
    )
    article = Article.objects.create(
        department_id=department_id,
        kind=kind,
        visibility=visibility,
        review_by=review_by,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    article.matters.set(found)
    version = ArticleVersion.objects.create(
        article=article,
        number=1,
        title=title,
        body=body,
        legal_basis=legal_basis,
        visibility=visibility,
        author=actor,
        created_at=now,
    )
    audit.record(actor, "knowledge.create", article, summary=title[:100], request=request, version=version.number)
    return article


@transaction.atomic
def update_article(actor, article: Article, *, kind: str, matters=(), request=None) -> Article:
    """The article's category and matters (where it is shown); its text and visibility change by versions."""
    article = _locked(article)
    _ensure_editor(actor, article.department_id)
    kind, found = _collect(
        lambda: _choice(kind, Article.Kind, "kind"), lambda: _matters(matters, article.department_id)
    )
    article.kind = kind
    article.save(update_fields=["kind"])
    article.matters.set(found)
    if article.published_id:
        article.search_text = search_text_of(article, article.published)
        article.search_grams = search_grams_of(article.search_text)
        article.save(update_fields=["search_text", "search_grams"])
    audit.record(actor, "knowledge.update", article, summary=str(article)[:100], request=request)
    return article


def open_version(article: Article) -> ArticleVersion | None:
    """The version being worked on (draft, submitted or returned), if any: one at a time."""
    return article.versions.filter(status__in=OPEN_STATUSES).order_by("-number").first()


@transaction.atomic
def new_draft(actor, article: Article, *, now: dt.datetime | None = None, request=None) -> ArticleVersion:
    """A new draft from the current text (the published version, else the latest), files carried over.
    When a version is already being worked on, that one is returned: one open version at a time, and a double
    click creates nothing twice."""
    article = _locked(article)
    _ensure_editor(actor, article.department_id)
    existing = open_version(article)
    if existing is not None:
        return existing
    now = now or timezone.now()
    source = article.published or article.versions.order_by("-number").first()
    number = (article.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ArticleVersion.objects.create(
        article=article,
        number=number,
        title=source.title,
        body=source.body,
        legal_basis=source.legal_basis,
        visibility=source.visibility,
        author=actor,
        created_at=now,
    )
    ArticleFile.objects.bulk_create(
        ArticleFile(version=version, name=f.name, file=f.file.name, content_type=f.content_type, size=f.size)
        for f in source.files.all()
    )
    audit.record(actor, "knowledge.new_draft", article, summary=str(article)[:100], request=request, version=number)
    return version


@transaction.atomic
def edit_draft(
    actor, version: ArticleVersion, *, title: str, body: str, legal_basis: str = "", visibility: str, request=None
) -> ArticleVersion:
    """Change a draft's (or a returned version's) text."""
    article, version = _locked_version(version)
    _ensure_editor(actor, article.department_id)
    _ensure_status(version, Status.DRAFT, Status.RETURNED)
    version.title, version.body, version.legal_basis, version.visibility = _collect(
        lambda: _text(title, "title", TITLE_LIMIT),
        lambda: _text(body, "body", BODY_LIMIT),
        lambda: _text(legal_basis, "legal_basis", 500, required=False),
        lambda: _choice(visibility, Article.Visibility, "visibility"),
    )
    version.save(update_fields=["title", "body", "legal_basis", "visibility"])
    audit.record(actor, "knowledge.edit", article, summary=version.title[:100], request=request, version=version.number)
    return version


@transaction.atomic
def add_file(actor, version: ArticleVersion, uploaded, *, request=None) -> ArticleFile:
    """Attach a file (a sample filled form, the policy as issued): PDF, JPEG, PNG or OFD, checked by content."""
    article, version = _locked_version(version)
    _ensure_editor(actor, article.department_id)
    _ensure_status(version, Status.DRAFT, Status.RETURNED)
    if uploaded is None:
        raise ValidationError({"file": [_("请选择文件。")]})
    problem = upload_problem(uploaded)
    if problem:
        raise ValidationError({"file": [problem]})
    if version.files.count() >= FILES_PER_VERSION:
        raise ValidationError({"file": [_("每个版本最多 %(n)d 个附件。") % {"n": FILES_PER_VERSION}]})
    name = str(uploaded.name or "file").replace("\x00", "")[-200:]
    attached = ArticleFile(
        version=version, name=name, content_type=getattr(uploaded, "content_type", "") or "", size=uploaded.size
    )
    attached.file.save(name, uploaded, save=False)
    attached.save()
    audit.record(actor, "knowledge.add_file", article, summary=name[:100], request=request, version=version.number)
    return attached


@transaction.atomic
def remove_file(actor, attached: ArticleFile, *, request=None) -> None:
    """Take a file off a draft (the stored file stays: a published version may still show it)."""
    article, version = _locked_version(attached.version_id)
    _ensure_editor(actor, article.department_id)
    _ensure_status(version, Status.DRAFT, Status.RETURNED)
    ArticleFile.objects.filter(pk=attached.pk, version=version).delete()
    audit.record(actor, "knowledge.remove_file", article, summary=attached.name[:100], request=request)


@transaction.atomic
def submit(actor, version: ArticleVersion, *, now: dt.datetime | None = None, request=None) -> ArticleVersion:
    """提交审核: the editor sends the draft (or the returned version, edited) to the hall admins."""
    article, version = _locked_version(version)
    _ensure_editor(actor, article.department_id)
    _ensure_status(version, Status.DRAFT, Status.RETURNED)
    version.status = Status.SUBMITTED
    version.submitted_at = now or timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    audit.record(
        actor, "knowledge.submit", article, summary=version.title[:100], request=request, version=version.number
    )
    return version


@transaction.atomic
def publish(
    actor,
    version: ArticleVersion,
    *,
    note: str = "",
    review_by=None,
    now: dt.datetime | None = None,
    request=None,
) -> Article:
    """审核发布: a hall admin (never the version's author) publishes a submitted version. The article then shows
    it; the version before stays in the history. `review_by` sets the next review date; without one, a missing
    or passed date moves DEFAULT_REVIEW_DAYS on."""
    _ensure_reviewer(actor)
    article, version = _locked_version(version)
    _ensure_status(version, Status.SUBMITTED)
    if version.author_id == actor.pk:
        raise PermissionDenied(_("不能审核发布自己编写的版本，请由其他大厅管理员审核。"))
    now = now or timezone.now()
    note, review_by = _collect(lambda: _text(note, "note", NOTE_LIMIT, required=False), lambda: _date(review_by))
    version.status = Status.PUBLISHED
    version.reviewer = actor
    version.reviewed_at = now
    version.review_note = note
    version.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
    today = timezone.localdate(now)
    if review_by is not None:
        article.review_by = review_by
    elif article.review_by is None or article.review_by < today:
        article.review_by = today + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    article.published = version
    article.visibility = version.visibility
    article.withdrawn_at = None
    article.updated_at = now
    article.search_text = search_text_of(article, version)
    article.search_grams = search_grams_of(article.search_text)
    article.save(
        update_fields=[
            "published", "visibility", "withdrawn_at", "updated_at", "search_text", "search_grams", "review_by"
        ]
    )  # fmt: skip
    audit.record(
        actor, "knowledge.publish", article, summary=version.title[:100], request=request, version=version.number
    )
    return article


@transaction.atomic
def return_version(
    actor, version: ArticleVersion, note: str, *, now: dt.datetime | None = None, request=None
) -> ArticleVersion:
    """退回修改: a hall admin sends a submitted version back to the department with a note."""
    _ensure_reviewer(actor)
    article, version = _locked_version(version)
    _ensure_status(version, Status.SUBMITTED)
    (note,) = _collect(lambda: _text(note, "note", NOTE_LIMIT))
    version.status = Status.RETURNED
    version.reviewer = actor
    version.reviewed_at = now or timezone.now()
    version.review_note = note
    version.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
    audit.record(
        actor, "knowledge.return", article, summary=version.title[:100], request=request, version=version.number
    )
    return version


@transaction.atomic
def withdraw(actor, article: Article, *, now: dt.datetime | None = None, request=None) -> Article:
    """撤下: the article is no longer shown (its versions stay); publishing a new version shows it again."""
    article = _locked(article)
    if not (may_review(actor) or may_edit(actor, article.department_id)):
        raise PermissionDenied(_("只有大厅管理员或本部门编辑可以撤下文章。"))
    if article.withdrawn_at is None:  # withdrawing twice changes nothing
        article.withdrawn_at = now or timezone.now()
        article.save(update_fields=["withdrawn_at"])
        audit.record(actor, "knowledge.withdraw", article, summary=str(article)[:100], request=request)
    return article


@transaction.atomic
def set_review_date(actor, article: Article, review_by, *, request=None) -> Article:
    """复核日期: after it the article is flagged 待更新 until a new version is published or the date moves."""
    article = _locked(article)
    if not (may_review(actor) or may_edit(actor, article.department_id)):
        raise PermissionDenied(_("只有大厅管理员或本部门编辑可以设置复核日期。"))
    (review_by,) = _collect(lambda: _date(review_by))
    article.review_by = review_by
    article.save(update_fields=["review_by"])
    audit.record(actor, "knowledge.review_date", article, summary=str(review_by), request=request)
    return article
