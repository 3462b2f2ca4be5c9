"""Reads of the knowledge base, shared by pages, the API, the guide, the intake desk and the consultation desk.

Search reuses the guide's engine (catalogue/understand.py): a query becomes concepts (synonyms, themes,
two-character words, pinyin), and an article meets a concept when one of its meanings is in the article's
`search_text` (every term a substring; for a theme, when one of the article's matters is under it). Unlike the
guide, the weights and ranking are computed in Python over one scan that returns, per matching article, which
concepts it meets: one pass over the table instead of three, which keeps 20,000 articles within the
benchmark's 20 ms (bench/knowledge.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from yichuang.catalogue.models import Matter
from yichuang.catalogue.search import understood
from yichuang.catalogue.understand import normalise

from .models import Article, ArticleVersion, SearchLog

# How many matching rows the scan reads back at most (ids and flags only): enough to rank well, bounded for
# a query that matches everything.
MAX_CANDIDATES = 2000


def _ids(items) -> list[int] | None:
    if items is None:
        return None
    if isinstance(items, (int, str)) or hasattr(items, "pk"):
        items = [items]
    return [int(getattr(i, "pk", i)) for i in items]


def published_articles(*, public_only: bool) -> QuerySet:
    """Articles in force: a published version, not withdrawn; only the public ones when `public_only`."""
    qs = Article.objects.filter(published__isnull=False, withdrawn_at__isnull=True)
    if public_only:
        qs = qs.filter(visibility=Article.Visibility.PUBLIC)
    return qs


def with_stale(qs: QuerySet, today: date | None = None) -> QuerySet:
    """`is_stale`: the review date has passed (待更新). Computed in the query, from today's local date."""
    today = today or timezone.localdate()
    return qs.annotate(
        is_stale=Case(When(review_by__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def _meaning_q(meaning) -> Q:
    if meaning.life_event is not None:
        links = Article.matters.through.objects.filter(
            article_id=OuterRef("pk"),
            matter_id__in=Matter.life_events.through.objects.filter(lifeevent_id=meaning.life_event).values(
                "matter_id"
            ),
        )
        return Q(Exists(links))
    condition = Q()
    for term in meaning.terms:
        condition &= Q(search_text__contains=term)
    return condition


def _concept_q(concept) -> Q:
    condition = Q()
    for index, meaning in enumerate(concept.meanings):
        condition = _meaning_q(meaning) if index == 0 else condition | _meaning_q(meaning)
    return condition


def _ranked_ids(qs: QuerySet, query, limit: int) -> list[int]:
    """The ids of the best matches: concepts weighted by rarity (as the guide does), the articles meeting every
    concept that some article meets when any does, else those with at least half the best weight."""
    concepts = understood(query).concepts
    if not concepts:
        return []
    conditions = [_concept_q(c) for c in concepts]
    flags = {
        f"_c{i}": Case(When(c, then=Value(True)), default=Value(False), output_field=BooleanField())
        for i, c in enumerate(conditions)
    }
    any_met = Q()
    for index, condition in enumerate(conditions):
        any_met = condition if index == 0 else any_met | condition
    rows = list(
        qs.filter(any_met)
        .annotate(**flags)
        .order_by("-updated_at", "-id")
        .values_list("id", *flags.keys())[:MAX_CANDIDATES]
    )
    if not rows:
        return []
    total = qs.count() if len(conditions) > 1 else 0
    counts = [sum(1 for row in rows if row[i + 1]) for i in range(len(conditions))]
    weights = [(1 + round(10 * math.log2((total + 1) / (n + 0.5))) if n else 0) if total else 1 for n in counts]
    scored = [
        (sum(w for w, met in zip(weights, row[1:], strict=True) if met), pos, row[0]) for pos, row in enumerate(rows)
    ]
    full = sum(weights)
    best = max(score for score, _pos, _id in scored)
    floor = best if best == full else best / 2
    # Same score: the most recently updated first (the scan's order).
    scored = sorted((s for s in scored if s[0] >= floor and s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [article_id for _s, _pos, article_id in scored[:limit]]


_DIGITS_RE = re.compile(r"\d{6,}")


def _loggable(text: str) -> str:
    """The query as logged: normalised, long digit runs (ID, phone, case numbers) blanked — no personal data."""
    return _DIGITS_RE.sub("*", normalise(text))[: SearchLog._meta.get_field("query").max_length]


def search(
    text: str,
    *,
    public_only: bool,
    matters=None,
    department=None,
    limit: int = 10,
    source: str | None = None,
) -> list[Article]:
    """Published articles for a query, best first, at most `limit`.

    `public_only`: only public articles (anonymous readers, the guide); staff pass False for internal ones too.
    `matters` (Matter objects or ids): only articles about one of them; with no text, all of their articles,
    latest first (the intake desk's list). `department` (a Department or id): only its articles.
    `source` (a SearchLog.Source): when given and text was typed, the search is logged (query and hit count).
    Each article carries `is_stale` and its published version (`article.published`)."""
    qs = published_articles(public_only=public_only)
    matter_ids = _ids(matters)
    if matter_ids is not None:
        qs = qs.filter(
            Exists(Article.matters.through.objects.filter(article_id=OuterRef("pk"), matter_id__in=matter_ids))
        )
    department_ids = _ids(department)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    limit = max(0, min(int(limit), 100))
    typed = normalise(text)
    if typed:
        ids = _ranked_ids(qs, text, limit)
    elif matter_ids is not None or department_ids is not None:
        ids = list(qs.order_by("-updated_at", "-id").values_list("id", flat=True)[:limit])
    else:
        ids = []
    if typed and source:
        SearchLog.objects.create(query=_loggable(text), hits=len(ids), source=source)
    found = {a.pk: a for a in with_stale(Article.objects.filter(pk__in=ids)).select_related("published", "department")}
    return [found[i] for i in ids if i in found]


def published_versions(article: Article) -> QuerySet:
    """Every published version of an article (each kept), newest first."""
    return article.versions.filter(status=ArticleVersion.Status.PUBLISHED).order_by("-number")


def articles_for_matters(matters: Iterable, *, public_only: bool, limit: int = 20) -> list[Article]:
    """Published articles about any of the matters, latest first (the guide's matter page, the intake desk)."""
    return search("", public_only=public_only, matters=list(matters), limit=limit)
