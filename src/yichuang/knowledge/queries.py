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
from django.db.models import BooleanField, Case, Exists, Max, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yichuang.catalogue.models import Matter
from yichuang.catalogue.search import understood
from yichuang.catalogue.understand import _CJK, normalise

from .models import Article, ArticleVersion, SearchLog

# How many matching rows the scan reads back at most (ids and flags only): enough to rank well, bounded for
# a query that matches everything.
MAX_CANDIDATES = 2000
# How many of the newest matches the index hands over first (see _ranked).
WINDOW = 200


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
# grams: character pairs for Chinese (企业开办 → 企业 业开 开办), triples for Latin (kaiban → kai aib iba ban);
# a run no longer than one gram is itself. A query term becomes
# the phrase of its own pairs: consecutive tokens, i.e. the term is a substring of a run of the text (or spans
# two adjacent runs). PostgreSQL keeps at most 16,383 positions per text, so only the first MAX_GRAMS pairs are
# indexed (a text longer than that is found by its beginning).
MAX_GRAMS = 16000
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")


def _size(run: str) -> int:
    """Chinese runs are cut into pairs; Latin and digit runs (pinyin, codes) into triples — pairs of letters are
    so common that a pinyin phrase of them would make the index test thousands of articles."""
    return 3 if run[0].isascii() else 2


def _run_grams(run: str) -> list[str]:
    n = _size(run)
    return [run] if len(run) <= n else [run[i : i + n] for i in range(len(run) - n + 1)]


def grams(text: str) -> list[str]:
    found: list[str] = []
    for run in _RUN_RE.findall((text or "").lower()):
        found.extend(_run_grams(run))
    return found


def _short(parts: list[str]) -> bool:
    """A term shorter than one gram (办, qy): found as the beginning of a gram."""
    return len(parts) == 1 and len(parts[0]) < _size(parts[0])


def search_grams_of(search_text: str) -> str:
    return " ".join(grams(search_text)[:MAX_GRAMS])


def _fts_term(term: str) -> str | None:
    """One term as an FTS5 phrase ("变更 更登 登记"); a single character as a prefix ("办"*)."""
    parts = grams(term)
    if not parts:
        return None
    if _short(parts):
        return f'"{parts[0]}"*'
    return '"' + " ".join(parts) + '"'


def _ts_term(term: str) -> str | None:
    """One term as a tsquery of all its grams (变更 & 更登 & 登记); a single character as a prefix (办:*).
    Not a phrase (<->): the GIN index cannot check positions, so PostgreSQL would read the stored tsvector of
    every candidate; the grams' AND is answered by the index alone, and `_exact` then checks the few rows kept."""
    parts = grams(term)
    if not parts:
        return None
    if _short(parts):
        return f"'{parts[0]}':*"
    return "(" + " & ".join(f"'{p}'" for p in parts) + ")"


def _text_expression(terms_per_meaning: list[tuple[str, ...]]) -> str | None:
    """The index query for a concept: any meaning, each meaning all of its terms (FTS5 or tsquery syntax)."""
    postgres = connection.vendor == "postgresql"
    term = _ts_term if postgres else _fts_term
    meanings = []
    for meaning_terms in terms_per_meaning:
        parts = [term(t) for t in meaning_terms]
        if parts and all(parts):
            meanings.append("(" + (" & " if postgres else " AND ").join(parts) + ")")
    if not meanings:
        return None
    return "(" + (" | " if postgres else " OR ").join(meanings) + ")"


# What a tsquery built here may contain: the pairs (Chinese characters, a-z, 0-9) and the operators.
_TSQUERY_SAFE = re.compile(rf"[{_CJK}a-z0-9 '()&|<\->:*]*")


def _tsquery_literal(expression: str) -> str:
    """The tsquery written into the SQL, not bound as a parameter: the project binds parameters on the server,
    and after five runs PostgreSQL may switch a prepared statement to a generic plan — here a backward walk of
    the primary key that tests every article (200 ms for a rare word instead of 3). The expression holds only
    the pairs and operators (checked), its quotes doubled."""
    if not _TSQUERY_SAFE.fullmatch(expression):
        raise ValueError("unexpected character in a tsquery")
    return "to_tsquery('simple'::regconfig, '" + expression.replace("'", "''") + "')"


def _and(expressions: list[str]) -> str:
    return (" & " if connection.vendor == "postgresql" else " AND ").join(expressions)


def _indexed(expression: str, newest: int | None = None) -> Q:
    """Articles whose indexed text matches. `newest`: only the newest so many matches (by id) on SQLite, where
    the index hands them over in that order and stops early; a word in most articles then costs no more than a
    rare one."""
    if connection.vendor == "postgresql":
        sql = f"knowledge_article.search_vector @@ {_tsquery_literal(expression)}"
        return Q(RawSQL(sql, [], output_field=BooleanField()))
    limit = f" ORDER BY rowid DESC LIMIT {int(newest)}" if newest else ""
    sql = (
        f"knowledge_article.id IN (SELECT rowid FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s{limit})"
    )
    return Q(RawSQL(sql, [expression], output_field=BooleanField()))


def _themes_q(concept) -> Q | None:
    condition = None
    for meaning in concept.meanings:
        if meaning.life_event is None:
            continue
        theme_matters = Matter.life_events.through.objects.filter(lifeevent_id=meaning.life_event)
        links = Article.matters.through.objects.filter(
            article_id=OuterRef("pk"), matter_id__in=theme_matters.values("matter_id")
        )
        condition = Q(Exists(links)) if condition is None else condition | Q(Exists(links))
    return condition


def _exact(terms_per_meaning: list[tuple[str, ...]]) -> Q:
    """On PostgreSQL, the guide's own test on the rows the index found: one meaning's terms all substrings of
    the search text (the index query matched the grams in any order). SQLite's phrase query is exact already."""
    if connection.vendor != "postgresql":
        return Q()
    condition = None
    for meaning_terms in terms_per_meaning:
        q = Q()
        for term in meaning_terms:
            q &= Q(search_text__contains=term)
        condition = q if condition is None else condition | q
    return condition or Q()


def _concepts(query) -> list[tuple[str | None, Q | None, Q]]:
    """Each concept as (its index query, its themes' condition, its exact test); concepts with neither an index
    query nor themes are left out."""
    found = []
    for concept in understood(query).concepts:
        words = [m.terms for m in concept.meanings if m.life_event is None and m.terms]
        text = _text_expression(words)
        themes = _themes_q(concept)
        if text is not None or themes is not None:
            found.append((text, themes, _exact(words) if text is not None else Q()))
    return found


def _concept_q(text: str | None, themes: Q | None, exact: Q) -> Q:
    if text is None:
        return themes
    condition = _indexed(text) & exact
    return condition if themes is None else condition | themes


def _match_ids(expression: str, newest: int) -> list[int]:
    """The ids of the newest `newest` articles whose indexed text matches, whatever their state (the caller
    filters): one plain index query, newest first."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id FROM knowledge_article WHERE search_vector @@ {_tsquery_literal(expression)} "
            f"ORDER BY id DESC LIMIT {int(newest)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [row[0] for row in cursor.fetchall()]
    else:
        sql = (
            "SELECT rowid FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s ORDER BY rowid DESC LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, newest])
        return [row[0] for row in cursor.fetchall()]


def _among(ids) -> Q:
    """The articles with these ids. On PostgreSQL one array parameter (`id = ANY(%s)`): an IN list of 200 or 2,000
    placeholders cost more in the driver (splitting and adapting the query, ~1.5 ms a search) than the query."""
    if connection.vendor == "postgresql":
        return Q(RawSQL("knowledge_article.id = ANY(%s)", [list(ids)], output_field=BooleanField()))
    return Q(pk__in=ids)


def _fetch(qs: QuerySet, condition: Q, limit: int, order=("-id",)) -> list[Article]:
    rows = (
        with_stale(qs.filter(condition)).defer("search_text", "search_grams").select_related("published", "department")
    )
    return list(rows.order_by(*order)[:limit])


def _ranked(qs: QuerySet, query, limit: int) -> list[Article]:
    """The best matches, as the guide ranks: the articles meeting every concept (a term-wise AND) when any
    does, newest first; else the best partial matches — concepts weighted by rarity, those with at least half
    the best weight, heaviest first.

    The index is asked first for the newest WINDOW matches (the common case: a word in thousands of articles
    costs no more than a rare one), and only the visible ones among them are kept; when that leaves fewer
    than `limit` and the window was full, the index is asked again without a window."""
    concepts = _concepts(query)
    if not concepts or limit <= 0:
        return []
    if any(themes is not None for _text, themes, _exact in concepts):
        condition = Q()
        for text, themes, exact in concepts:
            condition &= _concept_q(text, themes, exact)
        found = _fetch(qs, condition, limit)
    else:
        expression = _and([text for text, _themes, _exact in concepts])
        exact = Q()
        for _text, _themes, each in concepts:
            exact &= each
        window = max(limit * 20, WINDOW)
        ids = _match_ids(expression, window)
        found = _fetch(qs, _among(ids) & exact, limit) if ids else []
        if len(found) < limit and len(ids) == window:
            found = _fetch(qs, _indexed(expression) & exact, limit)
    if found or len(concepts) == 1:
        return found
    return _partial(qs, concepts, limit)


def _partial(qs: QuerySet, concepts, limit: int) -> list[Article]:
    met = []
    for text, themes, exact in concepts:
        if themes is None:
            ids = _match_ids(text, MAX_CANDIDATES)
            if connection.vendor == "postgresql" and ids:
                ids = Article.objects.filter(exact, _among(ids)).values_list("pk", flat=True)
            met.append(set(ids))
        else:
            met.append(set(qs.filter(_concept_q(text, themes, exact)).values_list("pk", flat=True)[:MAX_CANDIDATES]))
    # The index's matches are not yet filtered (internal, withdrawn): the total is at least as many.
    # The number of articles, for the rarity weights: the highest id (articles are never deleted; an index
    # lookup, where a count would read every row).
    total = max(Article.objects.aggregate(n=Max("pk"))["n"] or 0, *(len(ids) for ids in met))
    weights = [max(1, 1 + round(10 * math.log2((total + 1) / (len(ids) + 0.5)))) if ids else 0 for ids in met]
    scores: dict[int, int] = {}
    for weight, ids in zip(weights, met, strict=True):
        for pk in ids:
            scores[pk] = scores.get(pk, 0) + weight
    best_first = sorted(scores, key=lambda pk: (-scores[pk], -pk))[:MAX_CANDIDATES]
    visible = {a.pk: a for a in _fetch(qs, _among(best_first), MAX_CANDIDATES)} if best_first else {}
    if not visible:
        return []
    best = max(scores[pk] for pk in visible)
    kept = [visible[pk] for pk in best_first if pk in visible and scores[pk] >= best / 2]
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
    Ranking: the articles meeting every concept of the query, newest first; else the best partial matches.
    `matters` (Matter objects or ids): only articles about one of them; with no text, all of their articles,
    latest updated first (the intake desk's list). `department` (a Department or id): only its articles.
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
        found = _ranked(qs, text, limit)
    elif matter_ids is not None or department_ids is not None:
        found = _fetch(qs, Q(), limit, order=("-updated_at", "-id"))
    else:
        found = []
    if typed and source:
        SearchLog.objects.create(query=_loggable(text), hits=len(found), source=source)
    return found


def published_versions(article: Article) -> QuerySet:
    """Every published version of an article (each kept), newest first."""
    return article.versions.filter(status=ArticleVersion.Status.PUBLISHED).order_by("-number")


def articles_for_matters(matters: Iterable, *, public_only: bool, limit: int = 20) -> list[Article]:
    """Published articles about any of the matters, latest first (the guide's matter page, the intake desk)."""
    return search("", public_only=public_only, matters=list(matters), limit=limit)


# --- who sees what ------------------------------------------------------------------------------------


def sees_internal(user) -> bool:
    """Staff (any hall role) read internal articles; anonymous users and citizens never do."""
    from yichuang.organisation.roles import has_any_role

    return has_any_role(user)


def sees_drafts(user, article: Article) -> bool:
    """Drafts and unpublished versions: the department's editors and the hall admins."""
    from .services import may_edit, may_review

    return may_review(user) or may_edit(user, article.department_id)


def readable(user, article: Article) -> bool:
    """The article's published text may be shown to the user."""
    if article.published_id is None or article.withdrawn_at is not None:
        return sees_drafts(user, article)
    return article.visibility == Article.Visibility.PUBLIC or sees_internal(user)


def file_readable(user, attached) -> bool:
    """A file is served with its version: a published version's file as the article is readable (an earlier
    published version's too, for the history); a draft's only to those who see drafts."""
    version = attached.version
    article = version.article
    if version.status == ArticleVersion.Status.PUBLISHED and article.withdrawn_at is None:
        return article.visibility == Article.Visibility.PUBLIC or sees_internal(user)
    return sees_drafts(user, article)


# --- pages --------------------------------------------------------------------------------------------


def latest_published(*, public_only: bool, department=None, limit: int = 50) -> list[Article]:
    qs = published_articles(public_only=public_only)
    if department is not None:
        qs = qs.filter(department_id=getattr(department, "pk", department))
    return list(with_stale(qs).select_related("published", "department").order_by("-updated_at", "-id")[:limit])


def department_work(department_id) -> QuerySet:
    """The department's articles with their latest version (editors' list), stale flag included."""
    latest = ArticleVersion.objects.filter(article_id=OuterRef("pk")).order_by("-number")
    from django.db.models import Subquery

    return (
        with_stale(Article.objects.filter(department_id=department_id))
        .select_related("published")
        .annotate(
            latest_title=Subquery(latest.values("title")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
            latest_id=Subquery(latest.values("pk")[:1]),
        )
        .order_by("-updated_at", "-id")
    )


def review_queue() -> QuerySet:
    return (
        ArticleVersion.objects.filter(status=ArticleVersion.Status.SUBMITTED)
        .select_related("article__department", "author")
        .order_by("submitted_at", "pk")
    )


def article_with_stale(pk: int) -> Article | None:
    return with_stale(Article.objects.select_related("published", "department")).filter(pk=pk).first()


def search_stats(days: int = 30, limit: int = 20, today=None) -> dict:
    """The most frequent queries and the queries that found nothing, over the last `days` days."""
    from datetime import timedelta

    from django.db.models import Count, Max

    since = (today or timezone.now()) - timedelta(days=days)
    recent = SearchLog.objects.filter(at__gte=since)
    frequent = list(recent.values("query").annotate(n=Count("pk"), last=Max("at")).order_by("-n", "query")[:limit])
    zero = list(
        recent.filter(hits=0).values("query").annotate(n=Count("pk"), last=Max("at")).order_by("-n", "query")[:limit]
    )
    return {"days": days, "frequent": frequent, "zero": zero, "total": recent.count()}


# --- diff ---------------------------------------------------------------------------------------------

# Above this many characters in a changed block, the diff shows the lines removed and added rather than the
# characters (SequenceMatcher is quadratic in the worst case).
CHAR_DIFF_LIMIT = 4000


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) pieces with op in equal / delete / insert: changed lines compared by character, so a word
    changed in a Chinese sentence shows as that word."""
    from difflib import SequenceMatcher

    a, b = (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True)
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            pieces.append(("equal", left))
        elif tag == "replace" and len(left) + len(right) <= CHAR_DIFF_LIMIT:
            for op, k1, k2, l1, l2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
                if op == "equal":
                    pieces.append(("equal", left[k1:k2]))
                else:
                    if k2 > k1:
                        pieces.append(("delete", left[k1:k2]))
                    if l2 > l1:
                        pieces.append(("insert", right[l1:l2]))
        else:
            if left:
                pieces.append(("delete", left))
            if right:
                pieces.append(("insert", right))
    merged: list[tuple[str, str]] = []
    for op, text in pieces:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def version_diff(old: ArticleVersion, new: ArticleVersion) -> list[dict]:
    """The diff of two versions, field by field (title, basis, visibility, body)."""
    fields = [
        (_("标题"), old.title, new.title),
        (_("依据"), old.legal_basis, new.legal_basis),
        (_("公开范围"), old.get_visibility_display(), new.get_visibility_display()),
        (_("正文"), old.body, new.body),
    ]
    return [{"label": label, "pieces": inline_diff(a, b), "changed": a != b} for label, a, b in fields]
