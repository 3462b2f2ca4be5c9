"""What a person typed into the guide's search, understood: everyday words and questions to catalogue words.

A citizen types 开办企业需要什么材料, 办营业执照, 身份证丢了 — not the catalogue's 企业设立登记. The query is
understood in four steps, all in this module (search.py turns the result into SQL, queries.py into bundles):

1. normalise: full-width forms folded (ＫＴＶ → ktv), lower case, punctuation and control characters to spaces
   (a `-`, `_` or `.` inside a Latin code stays: 411624-xk-scjg-001), at most MAX_QUERY_LENGTH characters;
2. phrases: everyday phrases that hall admins enter as synonyms (`Synonym`: 营业执照 → 设立登记、企业开办) and
   the names of the themes on the kiosk and the guide (LifeEvent: 开办企业) are found in the text, longest
   first; each becomes one concept that any of its meanings satisfies (a theme: the matters under it);
3. question and filler words (怎么办, 需要什么材料, 在哪里办, 我想, 请问 …) are cut out of the rest;
4. the rest is split into terms that do not depend on word order: a Latin or digit run is one term (pinyin,
   initials, a code); a Chinese run of two characters is one term, a longer one gives its overlapping character
   pairs (开办企业 → 开办 · 办企 · 企业), so 开办企业 and 企业开办 share their words. A single Chinese
   character left alone says too little and is dropped (unless it is the whole query).

Every concept is a condition a matter may meet. search.py keeps the matters that meet the most concepts (all of
them when some matter does: a term-wise AND; else the best partial matches) and ranks them; `hints` (the
character pairs of the whole query, and pairs across one character: 开个公司 → 开公) only rank.

Synonyms and themes are read from the database for every query (two small indexed queries): an admin's edit
takes effect at once on every app server, with no process cache to go stale.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 64
MAX_CONCEPTS = 12
MAX_HINTS = 16

# Question and filler words, cut out of a query (longest first, so 怎么办理 goes before 怎么). Only words that
# never carry the matter: 办 stays (开办), and so do 证, 领, 开, 去 (去香港).
FILLER_WORDS = sorted(
    {
        # how, where, what to bring, how long
        "怎么办理", "如何办理", "怎样办理", "怎么办", "怎么弄", "怎么样", "怎么", "如何", "怎样", "咋办", "咋",
        "在哪里办理", "在哪里办", "在哪儿办", "在哪办", "去哪里办", "去哪儿办", "去哪办", "到哪里办", "哪里办",
        "在哪里", "在哪儿", "去哪里", "去哪儿", "到哪里", "哪里", "哪儿", "在哪",
        "需要什么材料", "需要哪些材料", "要什么材料", "要哪些材料", "需要带什么", "要带什么", "带什么",
        "需要准备什么", "要准备什么", "准备什么", "需要什么", "需要哪些", "要什么", "什么", "哪些", "哪个",
        "办理流程", "流程", "多久", "多长时间", "几天", "能不能", "可不可以", "可以", "是否", "有没有",
        # who asks, politely
        "请问", "你好", "您好", "我要", "我想", "想要", "我们", "我家", "自己", "一下",
        # the verb and the paperwork of every matter
        "办理", "手续", "材料", "申请", "需要",
        # particles (not 吧: 网吧)
        "吗", "呢", "啊", "呀", "了", "的", "要", "想", "我",
    },
    key=lambda w: (-len(w), w),
)  # fmt: skip
_FILLER_RE = re.compile("|".join(re.escape(w) for w in FILLER_WORDS))

# A run of Chinese characters, or of Latin letters and digits (with - _ . inside: codes), is one chunk.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CHUNK_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_ALTERNATIVE_SPLIT = re.compile(r"[、，,;；/|\n]+")


def normalise(raw: str | None) -> str:
    """Folded, lower-case text with single spaces for punctuation, symbols and control characters."""
    text = unicodedata.normalize("NFKC", raw or "").lower()
    kept = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch in "-_." and _between_latin(text, index):
            kept.append(ch)
        elif category[0] in "PSCZ":  # punctuation, symbols, control/format, separators
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())[:MAX_QUERY_LENGTH].strip()


def _between_latin(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def strip_fillers(text: str) -> str:
    """The text with question and filler words replaced by spaces."""
    return " ".join(_FILLER_RE.sub(" ", text).split())


def _is_cjk(chunk: str) -> bool:
    return bool(re.fullmatch(rf"[{_CJK}]+", chunk))


def pairs(run: str) -> list[str]:
    """Overlapping character pairs of a Chinese run (企业开办 → 企业 业开 开办); a shorter run is itself."""
    if len(run) <= 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def terms(text: str, alone: bool = True) -> list[str]:
    """The order-free terms of a text without phrases and fillers: Latin runs whole, Chinese runs as pairs.
    `alone`: the text is all there is to the query (else phrases were found in it too)."""
    found: list[str] = []
    chunks = _CHUNK_RE.findall(text)
    for chunk in chunks:
        if _is_cjk(chunk):
            if len(chunk) == 1 and (len(chunks) > 1 or not alone):
                continue  # a lone 办 or 证 beside other words says nothing
            found.extend(pairs(chunk))
        else:
            found.append(chunk)
    return _unique(found)


def alternatives_of(words: str) -> list[tuple[str, ...]]:
    """A synonym's meanings: separated by 、，,;/ or new lines; inside one, words separated by spaces must all
    appear (住房公积金 提取). Each word is normalised as a query is."""
    result = []
    for part in _ALTERNATIVE_SPLIT.split(words or ""):
        found = tuple(_unique(normalise(part).split()))
        if found and found not in result:
            result.append(found)
    return result


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


@dataclass(frozen=True)
class Meaning:
    """One way to satisfy a concept: every term is in the matter's search text, or the matter is under a theme."""

    terms: tuple[str, ...] = ()
    life_event: int | None = None  # LifeEvent pk


@dataclass
class Concept:
    """Something the person asked for; a matter meets it through any of its meanings."""

    said: str  # what the person typed for it
    meanings: list[Meaning]
    synonym: bool = False  # from a hall admin's synonym (or a theme), not just the typed words


@dataclass
class Understood:
    """A query understood: concepts to meet, the compact text for an exact name hit, hints for ranking."""

    text: str  # normalised, as typed
    typed: bool = False  # anything but white space was typed (only "%" is a query that finds nothing)
    concepts: list[Concept] = field(default_factory=list)
    compact: str = ""  # without fillers and spaces: compared with matter names (an exact name hit)
    hints: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)  # the synonym phrases used
    themes: list[str] = field(default_factory=list)  # the theme names used

    def __bool__(self) -> bool:
        """Something was typed: a query (only white space is none, and the guide lists everything)."""
        return self.typed

    def all_terms(self) -> list[str]:
        return _unique(t for c in self.concepts for m in c.meanings for t in m.terms)


def parse(raw: str | None, synonyms: dict[str, list[tuple[str, ...]]], themes: dict[str, int]) -> Understood:
    """Understand a query given the synonyms (phrase → meanings) and themes (name → LifeEvent pk) it contains.

    Pure: no database. `understand()` fetches the synonyms and themes and calls this."""
    text = normalise(raw)
    result = Understood(text=text, typed=_typed(raw))
    if not text:
        return result
    rest = text
    phrases = sorted(set(synonyms) | set(themes), key=lambda p: (-len(p), p))
    for phrase in phrases:
        if not phrase or phrase not in rest:
            continue
        rest = rest.replace(phrase, " ")
        meanings = [Meaning(terms=(phrase,))]
        if phrase in themes:
            meanings.append(Meaning(life_event=themes[phrase]))
            result.themes.append(phrase)
        if phrase in synonyms:
            meanings.extend(Meaning(terms=alt) for alt in synonyms[phrase])
            result.synonyms.append(phrase)
        result.concepts.append(Concept(said=phrase, meanings=_unique(meanings), synonym=True))
    stripped = strip_fillers(rest)
    if not stripped and not result.concepts:
        stripped = rest.strip()  # nothing but filler words (流程): search for them rather than for nothing
    for term in terms(stripped, alone=not result.concepts):
        result.concepts.append(Concept(said=term, meanings=[Meaning(terms=(term,))]))
    result.concepts = result.concepts[:MAX_CONCEPTS]
    whole = strip_fillers(text) or text
    result.compact = whole.replace(" ", "")
    result.hints = _hints(whole)
    return result


def _typed(raw: str | None) -> bool:
    return bool((raw or "").strip())


def _hints(text: str) -> list[str]:
    """Character pairs of the whole query (phrases included) and pairs across one character (开个公司 → 开公)."""
    found: list[str] = []
    for chunk in _CHUNK_RE.findall(text):
        if not _is_cjk(chunk):
            continue
        found.extend(pairs(chunk) if len(chunk) > 1 else [])
        found.extend(chunk[i] + chunk[i + 2] for i in range(len(chunk) - 2))
    return _unique(found)[:MAX_HINTS]


def understand(raw: str | None) -> Understood:
    """Understand a query with the synonyms and theme names it contains, read from the database now."""
    from django.db.models import F, Value
    from django.db.models.functions import StrIndex

    from .models import LifeEvent, Synonym

    text = normalise(raw)
    if not text:
        return Understood(text="", typed=_typed(raw))
    # Only the rows whose phrase is in the query: the phrase's position in the text is above zero.
    synonyms: dict[str, list[tuple[str, ...]]] = {}
    found = Synonym.objects.annotate(_at=StrIndex(Value(text), F("phrase"))).filter(_at__gt=0)
    for phrase, words in found.values_list("phrase", "words"):
        synonyms[phrase] = alternatives_of(words)
    themes: dict[str, int] = {}
    for pk, name in LifeEvent.objects.values_list("pk", "name"):
        name = normalise(name).replace(" ", "")
        if name and name in text:
            themes[name] = pk
    return parse(text, synonyms, themes)
