"""`yichuang calendar`: the working-day calendar from a shell.

    yichuang calendar import-notice FILE           # what the notice says: one line per day that differs
    yichuang calendar import-notice FILE --apply   # store it (one transaction) and move running cases' deadlines
    yichuang calendar show YEAR                    # the same lines for the calendar the system uses now

Lines are `YYYY-MM-DD holiday NAME` / `YYYY-MM-DD workday NAME`, sorted by date: only the days that differ from
Monday–Friday (weekend days inside a holiday are not listed). Other lines start with `#`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yichuang.clock import services
from yichuang.clock.notice import NoticeError, decode_notice, parse_notice
from yichuang.clock.schedule import year_schedule
from yichuang.clock.workcalendar import SHANGHAI, CalendarUnknown, WorkCalendar


def _line(day, is_workday: bool, name: str) -> str:
    return f"{day.isoformat()} {'workday' if is_workday else 'holiday'} {name}".rstrip()


def _moment(value) -> str:
    return timezone.localtime(value, SHANGHAI).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    help = "Working-day calendar: 'import-notice FILE [--apply]' reads the State Council's notice; 'show YEAR'."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-notice", help="Read a holiday notice (UTF-8 or GB18030 text); --apply stores it.")
        imp.add_argument("file")
        imp.add_argument("--apply", action="store_true", help="Store the notice and move running cases' deadlines.")
        imp.add_argument("--year", type=int, help="The year, when the text has no title naming it.")
        show = sub.add_parser("show", help="The days of YEAR that differ from Monday–Friday, as the system counts.")
        show.add_argument("year", type=int)

    def handle(self, *args, action: str, **options):
        if action == "show":
            self._show(options["year"])
        else:
            self._import(options["file"], options["apply"], options.get("year"))

    def _show(self, year: int) -> None:
        calendar = WorkCalendar.default()
        try:
            days = year_schedule(year, calendar)
        except CalendarUnknown as exc:
            message = f"{year}年的工作日历未知：chinesecalendar 不含该年，也未录入并标记为已完整录入。"
            raise CommandError(message) from exc
        if calendar.is_assumed(year):
            self.stdout.write(f"# {year}年为假定（非官方）：尚未录入国务院的安排，暂按周一至周五上班计算。")
        for day in days:
            self.stdout.write(_line(*day))

    def _import(self, file: str, apply: bool, year: int | None) -> None:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}") from exc
        try:
            notice = parse_notice(decode_notice(data), year=year)
            plan = services.apply_notice(notice, None) if apply else services.preview_notice(notice)
        except NoticeError as exc:
            raise CommandError(f"{file}：通知未能完整读取，未做任何修改。\n{exc}") from exc
        out = self.stdout.write
        out(f"# {notice.title or f'{notice.year}年'}" + (f" {notice.number}" if notice.number else ""))
        if notice.date:
            out(f"# 成文日期 {notice.date.isoformat()}")
        for day in notice.differing():
            out(_line(day.date, day.is_workday, day.name))
        for row in plan.kept:
            out(f"# 保留（另一通知所定）：{_line(row.date, row.is_workday, row.note)}")
        verb = "已" if apply else "将"
        if not plan.changed:
            out("# 日历已与该通知一致，无需修改。")
            return
        out(f"# {verb}写入 {len(plan.write)} 天，{verb}删除 {len(plan.remove)} 条调整" + (
            f"，{notice.year}年{verb}标记为已完整录入" if plan.year_changes else ""
        ))
        for move in plan.moves:
            case = move.case
            out(
                f"# 办件 {case.number} {case.matter_name} {case.department.name}："
                f"办结期限 {_moment(move.before)} → {_moment(move.after)}"
            )
        if plan.paused:
            out(f"# {plan.paused} 件暂停计时的办件剩余时间不变，恢复计时后按新日历计算。")
        if not apply:
            out("# 尚未写入：加 --apply 导入。")
