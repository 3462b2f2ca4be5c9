"""The exchange's periodic job: drain the outbox to the provincial platform every `EXCHANGE_DRAIN_SECONDS`,
started by the task worker itself (yichuang.core.periodic). `yichuang exchange deliver` does the same once."""

from yichuang.core import periodic

from . import services

DRAIN = "exchange.deliver"


@periodic.job(DRAIN, period="EXCHANGE_DRAIN_SECONDS", title="省级平台数据推送（发件箱、退回数据读取）")
def drain() -> dict:
    return services.deliver_due().as_dict()
