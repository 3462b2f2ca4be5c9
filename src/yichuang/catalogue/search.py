"""Chinese search over the catalogue.

Each matter keeps one lower-cased text with its name, code, department, keywords and the pinyin of
its name (full and initials: 企业开办 → "qiyekaiban", "qykb"). A query matches when every one of its
terms is a substring of that text. Substring matching finds two-character words (登记, 开办), which
SQLite's FTS5 trigram tokenizer silently cannot; on PostgreSQL a pg_trgm GIN index serves the same
query (migration 0002), and on SQLite a scan of a few thousand short rows stays within a few ms.
"""

import unicodedata

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from pypinyin import Style, lazy_pinyin

MAX_QUERY_LENGTH = 64
MAX_TERMS = 8


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


def query_terms(query: str) -> list[str]:
    return [t for t in normalise_query(query).lower().split() if t][:MAX_TERMS]


def text_matches(text: str, query: str) -> bool:
    """The same rule as search(), in Python, for short lists (bundles): every term is a substring."""
    terms = query_terms(query)
    return bool(terms) and all(term in text for term in terms)


def bundle_search_text(bundle) -> str:
    full, initials = pinyin_forms(bundle.name)
    return " ".join(p for p in [bundle.code, bundle.name, bundle.description, full, initials] if p).lower()


def search(queryset: QuerySet, query: str) -> QuerySet:
    """Filter matters by a query and order the best matches (name hits) first."""
    terms = query_terms(query)
    if not terms:
        return queryset
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=term)
    first = terms[0]
    return (
        queryset.filter(condition)
        .annotate(
            _rank=Case(
                When(name__startswith=first, then=Value(0)),
                When(name__contains=first, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("_rank", "code")
    )
