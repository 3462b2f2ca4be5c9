"""The performance report's periodic job: build the daily rollup of the days that are over and not rolled up yet,
or written to since (services.roll_up), every `PERFORMANCE_ROLLUP_SECONDS`, started by the task worker itself."""

from yichuang.core import periodic

from . import services

ROLLUP = "performance.rollup"


@periodic.job(ROLLUP, period="PERFORMANCE_ROLLUP_SECONDS", title="绩效日汇总（补齐缺少或已过期的日汇总）")
def performance_rollup() -> dict:
    return services.roll_up()
