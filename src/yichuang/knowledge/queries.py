"""Reads of the knowledge base, shared by pages, the API, the guide, the intake desk and the consultation desk.

Search reuses the guide's engine (catalogue/understand.py): a query becomes concepts (synonyms, themes,
two-character words, pinyin), and an article meets a concept when one of its meanings is in the article's
published text (every term a substring; for a theme, when one of the article's matters is under it). Unlike the
guide's LIKE scan of a few thousand matters, 20,000 articles need an index: the text is kept as character pairs
(`search_grams`) in an FTS5 table (SQLite) or a tsvector (PostgreSQL), see migration 0004; each concept is one
indexed query, and the rarity weights and the ranking are computed in Python (bench/knowledge.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from yichuang.catalogue.models import Matter
from yichuang.catalogue.search import understood
from yichuang.catalogue.understand import _CJK, normalise, pairs

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


# --- the gram index ------------------------------------------------------------------------------------
# A text is cut into runs of Chinese characters or of Latin letters and digits, each run into its overlapping
# character pairs (pairs(): 企业开办 → 企业 业开 开办; a one-character run is itself). A query term becomes
# the phrase of its own pairs: consecutive tokens, i.e. the term is a substring of a run of the text (or spans
# two adjacent runs). PostgreSQL keeps at most 16,383 positions per text, so only the first MAX_GRAMS pairs are
# indexed (a text longer than that is found by its beginning).
MAX_GRAMS = 16000
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")


def grams(text: str) -> list[str]:
    found: list[str] = []
    for run in _RUN_RE.findall((text or "").lower()):
        found.extend(pairs(run))
    return found


def search_grams_of(search_text: str) -> str:
    return " ".join(grams(search_text)[:MAX_GRAMS])


def _fts_term(term: str) -> str | None:
    """One term as an FTS5 phrase ("变更 更登 登记"); a single character as a prefix ("办"*)."""
    parts = grams(term)
    if not parts:
        return None
    if len(parts) == 1 and len(parts[0]) == 1:
        return f'"{parts[0]}"*'
    return '"' + " ".join(parts) + '"'


def _ts_term(term: str) -> str | None:
    """One term as a tsquery phrase (变更 <-> 更登 <-> 登记); a single character as a prefix (办:*)."""
    parts = grams(term)
    if not parts:
        return None
    if len(parts) == 1 and len(parts[0]) == 1:
        return f"'{parts[0]}':*"
    return "(" + " <-> ".join(f"'{p}'" for p in parts) + ")"


def _text_q(terms_per_meaning: list[tuple[str, ...]]) -> Q | None:
    """Articles whose indexed text has every term of one of the meanings."""
    vendor = connection.vendor
    term = _ts_term if vendor == "postgresql" else _fts_term
    meanings = []
    for meaning_terms in terms_per_meaning:
        parts = [term(t) for t in meaning_terms]
        if parts and all(parts):
            meanings.append(parts)
    if not meanings:
        return None
    if vendor == "postgresql":
        expression = " | ".join("(" + " & ".join(parts) + ")" for parts in meanings)
        sql = "knowledge_article.search_vector @@ to_tsquery('simple'::regconfig, %s)"
        return Q(RawSQL(sql, [expression], output_field=BooleanField()))
    if vendor == "sqlite":
        expression = " OR ".join("(" + " AND ".join(parts) + ")" for parts in meanings)
        sql = "knowledge_article.id IN (SELECT rowid FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s)"
        return Q(RawSQL(sql, [expression], output_field=BooleanField()))
    # Another database: the guide's substring scan.
    condition = None
    for meaning_terms in terms_per_meaning:
        q = Q()
        for t in meaning_terms:
            q &= Q(search_text__contains=t)
        condition = q if condition is None else condition | q
    return condition


def _concept_q(concept) -> Q | None:
    """Articles meeting a concept: its words in the text (any meaning), or a matter under its theme."""
    condition = _text_q([m.terms for m in concept.meanings if m.life_event is None and m.terms])
    for meaning in concept.meanings:
        if meaning.life_event is None:
            continue
        theme_matters = Matter.life_events.through.objects.filter(lifeevent_id=meaning.life_event)
        links = Article.matters.through.objects.filter(
            article_id=OuterRef("pk"), matter_id__in=theme_matters.values("matter_id")
        )
        condition = Q(Exists(links)) if condition is None else condition | Q(Exists(links))
    return condition


def _ranked_ids(qs: QuerySet, query, limit: int) -> list[int]:
    """The ids of the best matches: concepts weighted by rarity (as the guide does), the articles meeting every
    concept that some article meets when any does, else those with at least half the best weight; the same
    weight, the latest updated first. One indexed query per concept (a query has a few)."""
    conditions = [c for c in (_concept_q(concept) for concept in understood(query).concepts) if c is not None]
    if not conditions:
        return []
    met: list[set[int]] = []
    order: dict[int, tuple] = {}
    for condition in conditions:
        rows = qs.filter(condition).order_by("-updated_at", "-id").values_list("id", "updated_at")[:MAX_CANDIDATES]
        ids = set()
        for pk, updated in rows:
            ids.add(pk)
            order[pk] = (updated, pk)
        met.append(ids)
    if not order:
        return []
    total = qs.count() if len(conditions) > 1 else 0
    weights = [(1 + round(10 * math.log2((total + 1) / (len(ids) + 0.5))) if ids else 0) if total else 1 for ids in met]
    scores = {pk: sum(w for w, ids in zip(weights, met, strict=True) if pk in ids) for pk in order}
    full = sum(weights)
    best = max(scores.values())
    floor = best if best == full else best / 2
    kept = [pk for pk, score in scores.items() if score >= floor and score > 0]
    kept.sort(key=lambda pk: (-scores[pk], -order[pk][0].timestamp(), -pk))
    return kept[:limit]


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
