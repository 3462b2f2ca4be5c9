"""`yichuang calendar import-notice FILE [--apply]` and `yichuang calendar show YEAR`."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yichuang.clock.models import CalendarOverride, CalendarYear

from .test_services import NOTICE_2027

NOTICES = Path(__file__).parent / "notices"

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue().splitlines()


def days(lines):
    return [line for line in lines if not line.startswith("#")]


def test_import_notice_prints_the_differing_days_and_changes_nothing():
    lines = run("import-notice", str(NOTICES / "2025.txt"))
    assert lines[0] == "# 国务院办公厅关于2025年部分节假日安排的通知 国办发明电〔2024〕12号"
    assert days(lines) == [
        "2025-01-01 holiday 元旦",
        "2025-01-26 workday 春节",
        "2025-01-28 holiday 春节",
        "2025-01-29 holiday 春节",
        "2025-01-30 holiday 春节",
        "2025-01-31 holiday 春节",
        "2025-02-03 holiday 春节",
        "2025-02-04 holiday 春节",
        "2025-02-08 workday 春节",
        "2025-04-04 holiday 清明节",
        "2025-04-27 workday 劳动节",
        "2025-05-01 holiday 劳动节",
        "2025-05-02 holiday 劳动节",
        "2025-05-05 holiday 劳动节",
        "2025-06-02 holiday 端午节",
        "2025-09-28 workday 国庆节、中秋节",
        "2025-10-01 holiday 国庆节、中秋节",
        "2025-10-02 holiday 国庆节、中秋节",
        "2025-10-03 holiday 国庆节、中秋节",
        "2025-10-06 holiday 国庆节、中秋节",
        "2025-10-07 holiday 国庆节、中秋节",
        "2025-10-08 holiday 国庆节、中秋节",
        "2025-10-11 workday 国庆节、中秋节",
    ]
    assert not CalendarOverride.objects.exists()


def test_show_prints_the_same_lines_for_the_calendar_in_use():
    # chinesecalendar's own days, named in Chinese: the same as the notice's lines for 2024.
    notice_lines = days(run("import-notice", str(NOTICES / "2024.txt")))
    assert run("show", "2024") == notice_lines


def test_apply_stores_it_and_show_then_reads_it_back(tmp_path):
    CalendarYear.objects.update_or_create(year=2027, defaults={"complete": False, "assumed": True})
    assert run("show", "2027")[0].startswith("# 2027年为假定（非官方）")
    path = tmp_path / "2027.txt"
    path.write_bytes(NOTICE_2027.encode("gb18030"))  # as Chinese Windows saves it
    lines = run("import-notice", str(path), "--apply")
    expected = days(lines)
    assert CalendarOverride.objects.filter(date__year=2027).count() == len(expected)
    assert run("show", "2027") == expected
    assert run("import-notice", str(path), "--apply")[-1] == "# 日历已与该通知一致，无需修改。"


def test_a_bad_line_fails_with_its_number_and_stores_nothing(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(NOTICE_2027.replace("共9天", "共8天"), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("import-notice", str(path), "--apply")
    assert "第7行" in str(caught.value) and "二、春节" in str(caught.value)
    assert not CalendarOverride.objects.exists()


@pytest.mark.calendar_as_installed
def test_show_an_unknown_year_is_a_clear_error():
    with pytest.raises(CommandError, match="2031年的工作日历未知"):
        run("show", "2031")


def test_show_names_overrides_by_their_note():
    CalendarOverride.objects.create(date=dt.date(2026, 3, 12), is_workday=False, note="测试停电")
    assert "2026-03-12 holiday 测试停电" in run("show", "2026")
