"""Chinese search over the catalogue.

Each matter keeps one lower-cased text with its name, code, department, keywords and the pinyin of
its name (full and initials: 企业开办 → "qiyekaiban", "qykb"). A query is first understood
(understand.py: questions stripped, synonyms and themes, order-free terms); a matter meets a concept of
the query when one of the concept's meanings is in that text (every term a substring) or, for a theme,
when the matter is under it. Substring matching finds two-character words (登记, 开办), which
SQLite's FTS5 trigram tokenizer silently cannot; on PostgreSQL a pg_trgm GIN index serves the same
query (migration 0002), and on SQLite a scan of a few thousand short rows stays within a few ms.
"""

import math
import unicodedata

from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from pypinyin import Style, lazy_pinyin

from .models import Matter
from .understand import MAX_QUERY_LENGTH, Understood, understand


def pinyin_forms(text: str) -> tuple[str, str]:
    syllables = [s for s in lazy_pinyin(text, errors="ignore") if s.isalpha()]
    full = "".join(syllables)
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))
    return full, "".join(ch for ch in initials if ch.isalpha())


def matter_search_text(matter) -> str:
    full, initials = pinyin_forms(matter.name)
    parts = [
        matter.code,
        matter.name,
        matter.department.name if matter.department_id else "",
        matter.keywords,
        full,
        initials,
    ]
    return " ".join(p for p in parts if p).lower()


def normalise_query(raw: str | None) -> str:
    """What the search box sent, made safe to search: full-width forms folded (ＱＹＫＢ → qykb), control
    characters (NUL, which PostgreSQL refuses in text) replaced by spaces, at most MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def understood(query) -> "Understood":
    """A query understood (see understand.py); an Understood passes through, so a page understands once."""
    return query if isinstance(query, Understood) else understand(query)


def text_hits(text: str, query, life_event: int | None = None) -> int:
    """How many concepts of the query a text meets (in Python, for short lists: bundles); `life_event` is the
    theme the text's object is under."""
    return sum(1 for concept in understood(query).concepts if _meets(text, concept, life_event))


def _meets(text: str, concept, life_event: int | None) -> bool:
    for meaning in concept.meanings:
        if meaning.life_event is not None:
            if meaning.life_event == life_event:
                return True
        elif all(term in text for term in meaning.terms):
            return True
    return False


def bundle_search_text(bundle) -> str:
    full, initials = pinyin_forms(bundle.name)
    return " ".join(p for p in [bundle.code, bundle.name, bundle.description, full, initials] if p).lower()


def _meaning_q(meaning, field: str = "search_text") -> Q | None:
    if meaning.life_event is not None:
        if field != "search_text":
            return None
        links = Matter.life_events.through.objects.filter(matter_id=OuterRef("pk"), lifeevent_id=meaning.life_event)
        return Q(Exists(links))
    condition = Q()
    for term in meaning.terms:
        condition &= Q(**{f"{field}__contains": term})
    return condition


def _any_q(meanings, field: str = "search_text") -> Q | None:
    condition = None
    for meaning in meanings:
        q = _meaning_q(meaning, field)
        if q is not None:
            condition = q if condition is None else condition | q
    return condition


def _count(conditions, weights=None) -> Expression:
    """How many of the conditions a row meets, or the sum of their weights (0 when none is given)."""
    weights = weights or [1] * len(conditions)
    parts = [
        Case(When(c, then=Value(w)), default=Value(0), output_field=IntegerField())
        for c, w in zip(conditions, weights, strict=True)
        if c
    ]
    if not parts:
        return Value(0, output_field=IntegerField())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return ExpressionWrapper(total, output_field=IntegerField())


def concept_weights(queryset: QuerySet, conditions: list[Q]) -> list[int]:
    """A weight per concept by how rare it is among the matters searched (an inverse document frequency):
    刻章, met by one matter, outweighs 公司 (企业), met by dozens; 0 for a concept no matter meets (办企, the
    pair across 开办|企业). One counting query; none for a single concept."""
    if len(conditions) < 2:
        return [1] * len(conditions)
    counts = queryset.aggregate(
        _all=Count("pk", distinct=True),
        **{f"_c{i}": Count("pk", filter=c, distinct=True) for i, c in enumerate(conditions)},
    )
    total = counts["_all"]
    return [
        1 + round(10 * math.log2((total + 1) / (counts[f"_c{i}"] + 0.5))) if counts[f"_c{i}"] else 0
        for i in range(len(conditions))
    ]


def search(queryset: QuerySet, query) -> QuerySet:
    """Matters meeting the most of the query's concepts, best first.

    Each concept weighs by its rarity (`concept_weights`); a concept no matter meets is left out. When some
    matter meets every concept left, only such matters are kept (a term-wise AND); else the best partial
    matches: those with at least half the best one's weight. None when no matter meets any concept (or the
    query has nothing to search for). Order: the exact name, weight met, the query's own character pairs in
    the name or keywords (word order does not matter), concepts met by the name itself, meanings met (a
    synonym's several), code."""
    q = understood(query)
    if not q:
        return queryset.order_by("code")
    concepts = [(c, _any_q(c.meanings)) for c in q.concepts]
    weights = concept_weights(queryset, [condition for _c, condition in concepts])
    concepts = [(c, condition, w) for (c, condition), w in zip(concepts, weights, strict=True) if w]
    if not concepts:  # typed, but nothing to search for ("%", "怎么办"), or nothing met
        return queryset.none()
    score = _count([condition for _c, condition, _w in concepts], [w for _c, _cond, w in concepts])
    full = sum(w for _c, _cond, w in concepts)
    best = Subquery(queryset.annotate(_s=score).order_by("-_s").values("_s")[:1])
    return (
        queryset.annotate(
            _score=score,
            _best=best,
            _exact=Case(When(name=q.compact, then=Value(1)), default=Value(0), output_field=IntegerField()),
            _hint_hits=_count([Q(name__contains=h) | Q(keywords__contains=h) for h in q.hints]),
            _name_hits=_count([_any_q(c.meanings, "name") for c, _cond, _w in concepts]),
            _meaning_hits=_count([_meaning_q(m) for c, _cond, _w in concepts if c.synonym for m in c.meanings]),
        )
        .filter(_score__gt=0)
        .filter(Q(_score__gte=F("_best")) | Q(_best__lt=full, _score__gte=F("_best") / 2))
        .order_by("-_exact", "-_score", "-_hint_hits", "-_name_hits", "-_meaning_hits", "code")
    )
