"""The knowledge API (mounted in yichuang/api.py): published articles.

Anonymous callers get public articles only; a staff caller (`Authorization: Bearer <token>`, or the staff
pages' session) also gets internal ones. A wrong or revoked token is a 401, never a silent anonymous answer:
a script that believes it sees everything must not be shown less without knowing it.
"""

import datetime as dt

from django.db.models import prefetch_related_objects
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError

from yichuang.catalogue.models import Matter
from yichuang.core.schemas import ErrorOut
from yichuang.organisation.api_auth import StaffToken

from . import queries
from .models import Article, SearchLog

router = Router(tags=["knowledge"])

MAX_LIMIT = 50


class ArticleOut(Schema):
    id: int
    title: str
    kind: str = Field(description="policy | requirements | procedure | sample | qa")
    kind_label: str
    visibility: str = Field(description="public | internal")
    department: str
    matters: list[str] = Field(description="Codes of the matters the article is about.")
    version: int
    updated_at: dt.datetime
    review_by: dt.date | None
    stale: bool = Field(description="The review date has passed (待更新).")
    url: str = Field(description="The public page (public articles) or the staff page (internal ones).")


class FileOut(Schema):
    name: str
    size: int
    url: str


class ArticleDetailOut(ArticleOut):
    body: str
    legal_basis: str
    files: list[FileOut]


def _caller(request):
    """The staff user of a Bearer token (401 when it is wrong), else the session's user (maybe anonymous)."""
    if (request.headers.get("Authorization") or "").strip():
        user = StaffToken()(request)
        if user is None:
            raise AuthenticationError(message="invalid or revoked token")
        return user
    return request.user


def _out(article: Article) -> dict:
    public = article.visibility == Article.Visibility.PUBLIC
    return {
        "id": article.pk,
        "title": article.published.title,
        "kind": article.kind,
        "kind_label": str(article.get_kind_display()),
        "visibility": article.visibility,
        "department": article.department.name,
        "matters": [m.code for m in article.matters.all()],
        "version": article.published.number,
        "updated_at": article.updated_at,
        "review_by": article.review_by,
        "stale": bool(getattr(article, "is_stale", False)),
        "url": reverse("knowledge:public" if public else "knowledge:article", args=[article.pk]),
    }


@router.get(
    "/knowledge",
    response={200: list[ArticleOut], 400: ErrorOut, 401: ErrorOut},
    summary="Search published articles (public ones for anonymous callers; internal ones too with a staff token)",
)
def list_articles(request, search: str = "", matter: str = "", limit: int = 10):
    user = _caller(request)
    public_only = not queries.sees_internal(user)
    if "\x00" in search or "\x00" in matter or len(search) > 200 or len(matter) > 64:
        return Status(400, {"detail": "search or matter is not valid text"})
    if not 1 <= limit <= MAX_LIMIT:
        return Status(400, {"detail": f"limit must be between 1 and {MAX_LIMIT}"})
    matters = None
    if matter.strip():
        found = Matter.objects.filter(code=matter.strip()).values_list("pk", flat=True).first()
        if found is None:
            return Status(400, {"detail": f"no matter with code {matter.strip()}"})
        matters = [found]
    if not search.strip() and matters is None:
        articles = queries.latest_published(public_only=public_only, limit=limit)
    else:
        articles = queries.search(
            search, public_only=public_only, matters=matters, limit=limit, source=SearchLog.Source.API
        )
    prefetch_related_objects(articles, "matters")
    return Status(200, [_out(a) for a in articles])


@router.get(
    "/knowledge/{article_id}",
    response={200: ArticleDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="One published article with its text and files (404 for an internal one to anonymous callers)",
)
def article_detail(request, article_id: int):
    user = _caller(request)
    article = queries.article_with_stale(article_id)
    if (
        article is None
        or article.published_id is None
        or article.withdrawn_at is not None
        or (article.visibility != Article.Visibility.PUBLIC and not queries.sees_internal(user))
    ):
        return Status(404, {"detail": "no such published article"})
    data = _out(article)
    data["body"] = article.published.body
    data["legal_basis"] = article.published.legal_basis
    data["files"] = [
        {"name": f.name, "size": f.size, "url": reverse("knowledge:file", args=[f.pk])}
        for f in article.published.files.all()
    ]
    return Status(200, data)
