"""Reading the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as it is published.

    notice = parse_notice(text)          # NoticeError (every bad line, with its number) if a line is not understood
    notice.year, notice.title, notice.number, notice.date
    notice.days                          # every day the notice names: holidays (weekends in a range too), workdays
    notice.differing()                   # the days that differ from Monday–Friday: what the calendar stores

Wordings read (every notice since 2008): full- and half-width digits and punctuation (the text is NFKC-normalised
line by line), 星期X / 周X in brackets after a date (checked against the date: a wrong weekday is an error),
ranges 1月1日至3日, 9月29日至10月6日, 2018年12月30日至2019年1月1日, 12月31日至1月2日 (across the year:
the start is in the year before); lists 2月20日（星期六）、21日（星期日）上班; clauses 放假调休 / 放假公休 /
放假 / 补休 / 调休 / 调休放假 (holiday), 上班 / 起正常上班 (workday), 与周末连休 / 不调休 (nothing more);
共N天 and 放假N天 (checked against the days of the sentence); several festivals in one label (中秋节、国庆节：);
a label alone on its line with the dates on the next; the lines of a supplementary notice without a label
(the 2015 anniversary, the 2019 Labour Day change: the festival comes from the title); the 2020 extension
(延长2020年春节假期至2月2日), kept as an `Extension` whose start only the calendar it applies to can tell.

Ignored by rule: the title, the document number, the addressees, the date line, and sentences that are preamble
or encouragement (根据… / …通知如下 / 鼓励各单位… / 节假日期间，各地区、各部门要…) even when they contain a date
(2024: 除夕（2月9日）; 2025: 根据2024年11月10日公布的…). Any other line that contains a date must be read
completely, or the whole notice is refused: an error lists every such line with its number and text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
_ALIASES = {
    "清明": "清明节", "端午": "端午节", "中秋": "中秋节", "国庆": "国庆节", "五一": "劳动节", "国际劳动节": "劳动节",
}  # fmt: skip
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

# One date: [YYYY年][M月]D日, then an optional bracket (weekday, lunar date …).
_DATE = re.compile(r"(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日(?:\((?P<note>[^()]*)\))?")
_RANGE_SEP = re.compile(r"(至|到|-|~|—|–|－)")
_LIST_SEP = re.compile(r"(、|和|及|,)")
_COUNT = re.compile(r"(?:共|放假)(\d+|[一二两三四五六七八九十]+)天")
_WEEKDAY = re.compile(r"(?:星期|礼拜|周)([一二三四五六日天])")
_EXTENSION = re.compile(r"延长(?:\d{4}年)?(?P<name>[^假]{1,12}?)假期至$")
_TITLE_YEAR = re.compile(r"关于(?:调整|延长)?(\d{4})年")
_NUMBER = re.compile(r"国(?:办)?发明电\s*[〔\[(【]\s*(\d{4})\s*[〕\])】]\s*(\d+)\s*号")
_DATE_LINE = re.compile(
    r"^(?:国务院办公厅|国务院)?(?P<y>\d{4}|[〇○零一二三四五六七八九]{4})年"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日$"
)
_LABEL = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\(?[一二三四五六七八九十\d]+\)|\d+[.、])?(?P<names>[^:：,。]{1,30}?)[:：](?P<body>.*)$"
)
# Preamble and encouragement: sentences that may contain a date but never schedule one.
_IGNORED_SENTENCE = re.compile(r"^(根据|鼓励|经国务院|为便于)|通知如下|^(节假日|假日|假期|调休放假|放假)期间")
_SPECIAL_DAY = re.compile(r"抗日战争.*?胜利(\d+)周年纪念日")


class NoticeError(ValueError):
    """The notice cannot be read completely. `problems` is [(line number, line text, reason)], line 0 for the
    notice as a whole (e.g. no year)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__(
            "\n".join(
                f"第{n}行：{reason}" + (f"（{text}）" if text else "") if n else reason for n, text, reason in problems
            )
        )


@dataclass(frozen=True)
class NoticeDay:
    date: dt.date
    is_workday: bool
    name: str
    line: int

    @property
    def differs(self) -> bool:
        """Whether the day differs from the Monday–Friday default (a weekday off, a weekend day worked)."""
        return self.is_workday != (self.date.weekday() < 5)

    def describe(self) -> str:
        return f"{self.date.isoformat()} {'workday' if self.is_workday else 'holiday'} {self.name}"


@dataclass(frozen=True)
class Extension:
    """延长X假期至D: holidays from the day after the festival's present end up to `until` (2020's Spring Festival).
    The notice does not say where the festival ended; `Notice.resolve` asks the calendar it is applied to."""

    name: str
    until: dt.date
    line: int
    text: str


@dataclass
class Notice:
    year: int
    title: str = ""
    number: str = ""
    date: dt.date | None = None
    days: list[NoticeDay] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)

    @property
    def full_year(self) -> bool:
        """A notice of a year's schedule (部分节假日安排) is the whole year: it replaces what the year had. A
        supplementary one (an anniversary, a change, an extension) only adds the days it names."""
        return not self.title or "部分节假日安排" in self.title

    @property
    def source(self) -> str:
        """What a stored day cites: 《title》（date）, or the document number, or the year."""
        title = f"《{self.title}》" if self.title else f"{self.year}年节假日安排"
        parts = [title]
        if self.number:
            parts.append(self.number)
        if self.date:
            parts.append(f"{self.date.year}年{self.date.month}月{self.date.day}日")
        text = parts[0] + ("（" + "，".join(parts[1:]) + "）" if len(parts) > 1 else "")
        return text[:200]

    def by_date(self) -> dict[dt.date, NoticeDay]:
        return {day.date: day for day in self.days}

    def differing(self) -> list[NoticeDay]:
        """The days that differ from Monday–Friday, sorted by date: what the calendar stores as overrides."""
        return sorted((day for day in self.days if day.differs), key=lambda day: day.date)

    def resolve(self, status) -> None:
        """Turn each Extension into days: `status(date)` → (is_workday, name) of the calendar the notice is
        applied to (None where unknown). The festival's present end is the last day before `until` that is off
        and carries its name; NoticeError when there is none within 31 days."""
        problems = []
        for ext in self.extensions:
            start = None
            for back in range(1, 32):
                day = ext.until - dt.timedelta(days=back)
                known = status(day)
                if known is not None and not known[0] and ext.name in (known[1] or ""):
                    start = day + dt.timedelta(days=1)
                    break
            if start is None:
                problems.append((ext.line, ext.text, f"找不到{ext.name}假期原来的结束日期，无法延长"))
                continue
            taken = self.by_date()
            day = start
            while day <= ext.until:
                if day not in taken:
                    self.days.append(NoticeDay(day, False, ext.name, ext.line))
                day += dt.timedelta(days=1)
        if problems:
            raise NoticeError(problems)
        self.extensions = []
        self.days.sort(key=lambda d: d.date)


def _normal(line: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 4 or all(ch in _CN_DIGITS for ch in text) and len(text) > 2:
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUMERALS[text[1]]
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        return _NUMERALS[tens] * 10 + (_NUMERALS[ones] if ones else 0)
    return _NUMERALS[text]


def _festival_names(text: str) -> list[str] | None:
    """['中秋节', '国庆节'] for '中秋节、国庆节'; None if any part is not a festival."""
    names = []
    for part in re.split(r"、|和|及|,", text):
        part = _ALIASES.get(part, part)
        special = _SPECIAL_DAY.search(part)
        if special:
            part = f"抗战胜利{special.group(1)}周年纪念日"
        if part not in FESTIVALS and not part.endswith("纪念日"):
            return None
        names.append(part)
    return names or None


def _title_festival(title: str) -> str:
    special = _SPECIAL_DAY.search(title)
    if special:
        return f"抗战胜利{special.group(1)}周年纪念日"
    found = [name for name in FESTIVALS if name in title or name.removesuffix("节") + "假期" in title]
    return found[0] if len(found) == 1 else ""


def _split_outside_brackets(text: str, seps: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch in seps and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p]


class _LineReader:
    """Reads one schedule line into days; collects what it cannot read as `problem`."""

    def __init__(self, year: int, names: list[str], number: int, text: str):
        self.year, self.names, self.number, self.text = year, names, number, text
        self.days: list[tuple[dt.date, bool]] = []
        self.extensions: list[Extension] = []
        self.problem = ""

    @property
    def name(self) -> str:
        return "、".join(self.names)

    def read(self, body: str) -> None:
        for sentence in _split_outside_brackets(body, "。;；"):
            if _IGNORED_SENTENCE.search(sentence):
                continue
            self._sentence(sentence)
            if self.problem:
                return

    def _sentence(self, sentence: str) -> None:
        holidays: set[dt.date] = set()
        counts: list[int] = []
        for clause in _split_outside_brackets(sentence, ","):
            for match in _COUNT.finditer(clause):
                counts.append(_cn_number(match.group(1)))
            dates = list(_DATE.finditer(clause))
            if not dates:
                continue
            result = self._clause(clause, dates)
            if result is None:
                return
            is_workday, found = result
            self.days.extend((d, is_workday) for d in found)
            if not is_workday:
                holidays.update(found)
        for count in counts:
            if count != len(holidays):
                self.problem = f"写明共{count}天，但列出的放假日期是{len(holidays)}天"
                return

    def _clause(self, clause: str, dates: list[re.Match]) -> tuple[bool, list[dt.date]] | None:
        prefix = clause[: dates[0].start()]
        suffix = clause[dates[-1].end() :]
        extension = _EXTENSION.search(prefix)
        # Between the dates only separators may stand: a range (至) or a list (、).
        items: list[list[dt.date]] = []
        context = (None, None)  # (year, month) of the previous date, for 21日 after 2月20日
        pending_range = False
        for i, match in enumerate(dates):
            day = self._date(match, context)
            if day is None:
                return None
            if pending_range:
                start = items[-1][0]
                day = self._range_end(start, match, day)
                if day is None:
                    return None
                items[-1] = [start + dt.timedelta(days=k) for k in range((day - start).days + 1)]
            else:
                items.append([day])
            context = (day.year, day.month)
            if i + 1 < len(dates):
                between = clause[match.end() : dates[i + 1].start()]
                if _RANGE_SEP.fullmatch(between):
                    if pending_range:
                        self.problem = f"无法理解的日期范围“{clause}”"
                        return None
                    pending_range = True
                elif _LIST_SEP.fullmatch(between):
                    pending_range = False
                else:
                    self.problem = f"无法理解日期之间的“{between}”"
                    return None
        found = [day for item in items for day in item]
        if extension:
            if suffix or len(found) != 1:
                self.problem = f"无法理解的延长假期“{clause}”"
                return None
            name = _festival_names(extension.group("name"))
            self.extensions.append(Extension(name[0] if name else self.name, found[0], self.number, self.text))
            return False, []
        if "上班" in suffix:
            return True, found
        if re.search(r"放假|补休|调休|休息|公休", suffix):
            return False, found
        self.problem = f"无法判断“{clause}”是放假还是上班"
        return None

    def _date(self, match: re.Match, context) -> dt.date | None:
        year = int(match["y"]) if match["y"] else context[0]
        month = int(match["m"]) if match["m"] else context[1]
        if month is None:
            self.problem = f"“{match.group(0)}”缺少月份"
            return None
        if year is None:
            year = self.year
            # A December date in the New Year's line of a notice without a year of its own: the year before.
            if month == 12 and "元旦" in self.names:
                year -= 1
        return self._checked(year, month, int(match["d"]), match)

    def _range_end(self, start: dt.date, match: re.Match, day: dt.date) -> dt.date | None:
        if day < start and not match["y"]:
            if match["m"] and day.month < start.month:  # 12月31日至1月2日: into the next year
                day = self._checked(start.year + 1, day.month, day.day, match)
                if day is None:
                    return None
        if day < start:
            self.problem = f"日期范围的结束早于开始（{match.group(0)}）"
            return None
        if (day - start).days > 31:
            self.problem = f"日期范围超过一个月（{match.group(0)}）"
            return None
        return day

    def _checked(self, year: int, month: int, day_number: int, match: re.Match) -> dt.date | None:
        try:
            day = dt.date(year, month, day_number)
        except ValueError:
            self.problem = f"日期不存在：{year}年{month}月{day_number}日"
            return None
        weekday = _WEEKDAY.search(match["note"] or "")
        if weekday and _WEEKDAYS[weekday.group(1)] != day.weekday():
            actual = "一二三四五六日"[day.weekday()]
            self.problem = f"{year}年{month}月{day_number}日是星期{actual}，不是{weekday.group(0)}"
            return None
        return day


def parse_notice(text: str, year: int | None = None) -> Notice:
    """Read a notice; `year` is needed only when the text has no title naming it. Raises NoticeError listing
    every line it cannot read completely (never a partial result)."""
    if "\x00" in text:
        raise NoticeError([(0, "", "文本含有不允许的控制字符")])
    raw_lines = text.splitlines()
    lines = [_normal(line) for line in raw_lines]
    problems: list[tuple[int, str, str]] = []
    header: set[int] = set()

    title = ""
    for i, line in enumerate(lines[:12]):
        if line.startswith("国务院") and "关于" in line:
            joined, used = line, [i]
            for j in range(i + 1, min(i + 4, len(lines))):
                if joined.endswith("通知"):
                    break
                if lines[j]:
                    joined += lines[j]
                    used.append(j)
            if joined.endswith("通知"):
                title = joined
                header.update(used)
            break
    number = ""
    notice_date = None
    for i, line in enumerate(lines):
        found = _NUMBER.search(line)
        if found and not number and len(line) <= len(found.group(0)) + 2:
            number = f"{'国办发明电' if '办' in found.group(0) else '国发明电'}〔{found.group(1)}〕{found.group(2)}号"
            header.add(i)
        date_line = _DATE_LINE.match(line)
        if date_line:
            try:
                notice_date = dt.date(*(_cn_number(date_line[k]) for k in ("y", "m", "d")))
                header.add(i)
            except (KeyError, ValueError):
                pass

    if year is None:
        found_year = _TITLE_YEAR.search(title) or next(
            (m for line in lines if (m := re.search(r"现将(\d{4})年|(\d{4})年(?:元旦|春节)", line))), None
        )
        if found_year:
            year = int(next(g for g in found_year.groups() if g))
        else:
            explicit = next(
                (m for i, line in enumerate(lines) if i not in header for m in [_DATE.search(line)] if m and m["y"]),
                None,
            )
            if explicit is None:
                reason = "看不出是哪一年的安排：请连同标题（国务院办公厅关于YYYY年部分节假日安排的通知）一起粘贴"
                raise NoticeError([(0, "", reason)])
            year = int(explicit["y"])

    if not 1990 <= year <= 2100:
        raise NoticeError([(0, "", f"年份 {year} 不在 1990–2100 之间")])
    title_festival = _title_festival(title)
    notice = Notice(year=year, title=title, number=number, date=notice_date)
    seen: dict[dt.date, tuple[bool, int]] = {}
    pending_label: list[str] | None = None  # a label alone on its line: its dates follow on the next line
    for i, line in enumerate(lines):
        number_ = i + 1
        if i in header or not line:
            continue
        names, body = None, line
        label = _LABEL.match(line)
        if label:
            names = _festival_names(label["names"])
            if names is not None:
                body = label["body"]
                if not body:
                    pending_label = names
                    continue
        if names is None and pending_label and _DATE.search(line):
            names = pending_label
        pending_label = None
        if not _DATE.search(body):
            if names is not None:
                problems.append((number_, raw_lines[i].strip(), "节日这一行没有日期"))
            continue
        if names is None:
            readable = [s for s in _split_outside_brackets(body, "。;；") if not _IGNORED_SENTENCE.search(s)]
            if not any(_DATE.search(s) for s in readable):
                continue  # preamble or encouragement with a date in it
            if not title_festival:
                problems.append((number_, raw_lines[i].strip(), "看不出是哪个节日（行首应为“元旦：”“春节：”等）"))
                continue
            names = [title_festival]
        reader = _LineReader(year, names, number_, raw_lines[i].strip())
        reader.read(body)
        if not reader.problem and not reader.days and not reader.extensions:
            reader.problem = "这一行没有读到放假或上班的日期"
        if reader.problem:
            problems.append((number_, raw_lines[i].strip(), reader.problem))
            continue
        for day, is_workday in reader.days:
            earlier = seen.get(day)
            if earlier is not None and earlier[0] != is_workday:
                problems.append(
                    (number_, raw_lines[i].strip(), f"{day.month}月{day.day}日在第{earlier[1]}行是另一种安排")
                )
                continue
            if earlier is None:
                seen[day] = (is_workday, number_)
                notice.days.append(NoticeDay(day, is_workday, reader.name, number_))
        notice.extensions.extend(reader.extensions)
    if pending_label is not None:
        problems.append((len(lines), raw_lines[-1].strip(), "节日这一行没有日期"))
    if problems:
        raise NoticeError(problems)
    if not notice.days and not notice.extensions:
        raise NoticeError([(0, "", "通知中没有读到任何放假或上班的日期")])
    notice.days.sort(key=lambda d: d.date)
    return notice


def decode_notice(data: bytes) -> str:
    """The text of an uploaded or read file: UTF-8 (with or without BOM), else GB18030 (what Chinese Windows saves).
    NoticeError if it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NoticeError([(0, "", "文件不是 UTF-8 或 GB18030 编码的文本")])
