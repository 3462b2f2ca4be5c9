"""The back office's periodic job: the sweep (sweep.run) every `BACKOFFICE_SWEEP_SECONDS`, started by the task
worker itself (`yichuang worker`, see yichuang.core.periodic) and by hand with `yichuang backoffice sweep`; both
record their runs on the job's row (admin: 后台任务状态, `yichuang status`).
"""

from yichuang.core import periodic

from . import sweep

SWEEP = "backoffice.sweep"


@periodic.job(SWEEP, period="BACKOFFICE_SWEEP_SECONDS", title="后台巡检（预警、容缺逾期终止、提醒、默认评价）")
def backoffice_sweep() -> dict:
    return sweep.run().as_dict()
