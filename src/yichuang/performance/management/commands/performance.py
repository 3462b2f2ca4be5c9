"""`yichuang performance rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]`: build the performance report's daily rollup
anew for every day of the range (default: from the first counted row to the last day that is over), showing its
progress. `--to` is the day after the last, as on the page.

The worker (`yichuang worker`) keeps the rollup up to date by itself (the periodic job `performance.rollup`); the
command is for a first build of a long history or after rows were written outside the services (a repair in
SQL). Its run is recorded on the job's row (admin: 后台任务状态, `yichuang status`). Running it twice, or beside
the worker, is harmless: each range is rebuilt in one transaction.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from yichuang.core import periodic
from yichuang.performance import services, tasks


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "Performance: 'rollup' builds the daily rollup of the performance report anew for a range of days."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rollup = sub.add_parser("rollup", help="Build the daily rollup anew (default: every day that is over).")
        rollup.add_argument("--from", dest="start", type=_date, help="First day, YYYY-MM-DD.")
        rollup.add_argument("--to", dest="end", type=_date, help="The day after the last, YYYY-MM-DD (exclusive).")

    def handle(self, *args, action: str, start=None, end=None, **options):
        if start and end and end <= start:
            raise CommandError("--to 须晚于 --from（不含截止日）。")
        limit = services.last_closed_day() + services.ONE_DAY
        if end and end > limit:
            self.stdout.write(f"{limit} 起的日期尚未结束（或结束不足 {services.SETTLE}），留给后台任务汇总。")
        first = start or services.first_day()
        if first is None:
            self.stdout.write("尚无可汇总的数据。")
            return
        last = min(end or limit, limit) - services.ONE_DAY
        self.stdout.write(f"汇总 {first} … {last}：")
        result = periodic.run_by_hand(tasks.ROLLUP, lambda: services.rebuild(first, end, progress=self.stdout.write))
        self.stdout.write(self.style.SUCCESS(f"完成：{result['days']} 天，{result['rows']:,} 行。"))
