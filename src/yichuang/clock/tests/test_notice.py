"""The notice parser against chinesecalendar: every year's published notices 2010–2026 (tests/notices/) must give
exactly the days the package says differ from Monday–Friday."""

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from yichuang.clock.notice import NoticeError, parse_notice

NOTICES = Path(__file__).parent / "notices"
YEARS = range(2010, 2027)


def _files(year: int) -> list[Path]:
    """The year's notice first, then its supplementary notices (anniversary, change, extension) in name order."""
    return sorted(NOTICES.glob(f"{year}*.txt"), key=lambda p: (p.name != f"{year}.txt", p.name))


def _schedule(year: int) -> dict[dt.date, tuple[bool, str]]:
    """Every day the notices of a year name, later notices winning (as apply_notice does)."""
    days: dict[dt.date, tuple[bool, str]] = {}
    for path in _files(year):
        notice = parse_notice(path.read_text(encoding="utf-8"))
        assert notice.year == year
        notice.resolve(days.get)
        days.update({d.date: (d.is_workday, d.name) for d in notice.days})
    return days


def _differing(days: dict) -> set[tuple[dt.date, bool]]:
    return {(day, workday) for day, (workday, _name) in days.items() if workday != (day.weekday() < 5)}


def _package(year: int) -> set[tuple[dt.date, bool]]:
    out, day = set(), dt.date(year, 1, 1)
    while day.year == year:
        if chinese_calendar.is_workday(day) != (day.weekday() < 5):
            out.add((day, chinese_calendar.is_workday(day)))
        day += dt.timedelta(days=1)
    return out


@pytest.mark.parametrize("year", YEARS)
def test_the_notices_of_a_year_give_exactly_what_chinesecalendar_says(year):
    # Days of a year come from its notices, plus the late December days the next year's notice names
    # (2012's makes 2011-12-31 a workday; 2019's New Year runs from 2018-12-30).
    days = _schedule(year)
    if year + 1 in YEARS:
        days.update({d: v for d, v in _schedule(year + 1).items() if d.year == year})
    in_year = {d: v for d, v in days.items() if d.year == year}
    assert _differing(in_year) == _package(year)


@pytest.mark.parametrize("year", YEARS)
def test_days_a_notice_names_in_the_adjacent_year_agree_with_chinesecalendar(year):
    for day, (workday, _name) in _schedule(year).items():
        if day.year != year:
            assert chinese_calendar.is_workday(day) == workday, day


def test_the_header_is_read():
    notice = parse_notice((NOTICES / "2024.txt").read_text(encoding="utf-8"))
    assert notice.year == 2024
    assert notice.title == "国务院办公厅关于2024年部分节假日安排的通知"
    assert notice.number == "国办发明电〔2023〕7号"
    assert notice.date == dt.date(2023, 10, 25)
    assert notice.full_year
    assert notice.source == "《国务院办公厅关于2024年部分节假日安排的通知》（国办发明电〔2023〕7号，2023年10月25日）"


def test_a_title_over_two_lines_and_a_date_in_chinese_numerals():
    notice = parse_notice((NOTICES / "2010.txt").read_text(encoding="utf-8"))
    assert notice.title == "国务院办公厅关于2010年部分节假日安排的通知"
    assert notice.date == dt.date(2009, 12, 7)


def test_names_weekends_inside_a_range_and_what_differs():
    notice = parse_notice((NOTICES / "2023.txt").read_text(encoding="utf-8"))
    days = notice.by_date()
    assert days[dt.date(2023, 10, 1)].name == "中秋节、国庆节" and not days[dt.date(2023, 10, 1)].is_workday
    assert not days[dt.date(2023, 10, 1)].differs  # a Sunday off: shown, not stored
    assert days[dt.date(2022, 12, 31)].name == "元旦"  # the New Year range starts in the year before
    lines = [d.describe() for d in notice.differing()]
    assert lines[:3] == ["2023-01-02 holiday 元旦", "2023-01-23 holiday 春节", "2023-01-24 holiday 春节"]
    assert "2023-10-07 workday 中秋节、国庆节" in lines


def test_the_encouragement_sentence_is_not_a_holiday():
    days = parse_notice((NOTICES / "2024.txt").read_text(encoding="utf-8")).by_date()
    assert dt.date(2024, 2, 9) not in days  # 鼓励各单位……安排职工在除夕（2月9日）休息


def test_a_supplementary_notice_takes_its_festival_from_the_title():
    notice = parse_notice((NOTICES / "2015-2-anniversary.txt").read_text(encoding="utf-8"))
    assert not notice.full_year
    assert [d.describe() for d in notice.differing()] == [
        "2015-09-03 holiday 抗战胜利70周年纪念日",
        "2015-09-04 holiday 抗战胜利70周年纪念日",
        "2015-09-06 workday 抗战胜利70周年纪念日",
    ]


HALF_AND_FULL = [
    "二、春节：２月１０日至１７日放假调休，共８天。２月４日（星期日）、２月１８日（星期日）上班。",
    "二、春节:2月10日至17日放假调休,共8天。2月4日(星期日)、2月18日(星期日)上班。",
    "2、春节： 2月10日 至 17日 放假调休， 共8天。 2月4日（周日）、2月18日（周日）上班。",
    "（二）春节：2月10日—2月17日放假调休，共8天；2月4日(周日)和2月18日(礼拜天)上班。",
]


@pytest.mark.parametrize("line", HALF_AND_FULL)
def test_full_and_half_width_and_both_weekday_words(line):
    notice = parse_notice("国务院办公厅关于2024年部分节假日安排的通知\n" + line)
    assert [d.describe() for d in notice.differing()] == [
        "2024-02-04 workday 春节",
        "2024-02-12 holiday 春节",
        "2024-02-13 holiday 春节",
        "2024-02-14 holiday 春节",
        "2024-02-15 holiday 春节",
        "2024-02-16 holiday 春节",
        "2024-02-18 workday 春节",
    ]


def test_a_label_alone_on_its_line_and_a_range_across_the_year():
    text = "国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：\n12月31日至1月2日放假调休，共3天。\n"
    notice = parse_notice(text)
    assert [(d.date, d.name) for d in notice.days] == [
        (dt.date(2026, 12, 31), "元旦"),
        (dt.date(2027, 1, 1), "元旦"),
        (dt.date(2027, 1, 2), "元旦"),
    ]


def test_the_year_can_be_given_when_there_is_no_title():
    notice = parse_notice("一、元旦：1月1日放假，与周末连休。", year=2027)
    assert [d.describe() for d in notice.differing()] == ["2027-01-01 holiday 元旦"]
    with pytest.raises(NoticeError) as caught:
        parse_notice("一、元旦：1月1日放假，与周末连休。")
    assert "哪一年" in str(caught.value)


BAD = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节……的具体安排通知如下。
一、元旦：1月1日放假，与周末连休。
二、春节：2月6日至12日放假调休，共8天。
三、清明节：4月5日（星期二）放假。
四、劳动节：5月1日至5日放假调休，共5天。5月8日（星期六）加班补课。
五、端午节：另行通知。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
"""


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_returned():
    with pytest.raises(NoticeError) as caught:
        parse_notice(BAD)
    problems = {number: reason for number, _text, reason in caught.value.problems}
    assert set(problems) == {6, 7, 8, 9}
    assert "共8天" in problems[6] and "7天" in problems[6]
    assert "星期一" in problems[7]  # 2027-04-05 is a Monday
    assert "放假还是上班" in problems[8]
    assert "没有日期" in problems[9]
    assert "第6行" in str(caught.value) and "二、春节" in str(caught.value)


def test_a_day_both_off_and_worked_is_refused():
    text = "国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日放假。\n二、春节：1月1日上班。"
    with pytest.raises(NoticeError) as caught:
        parse_notice(text)
    assert caught.value.problems[0][0] == 3


def test_an_extension_needs_the_festival_it_extends():
    notice = parse_notice((NOTICES / "2020-2-spring-festival-extended.txt").read_text(encoding="utf-8"))
    with pytest.raises(NoticeError):
        notice.resolve(lambda day: None)


def test_an_absurd_year_is_refused():
    with pytest.raises(NoticeError, match="1990–2100"):
        parse_notice("一、元旦：1月1日放假。", year=1800)
