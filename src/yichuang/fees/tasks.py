"""The fees' work for the task worker: notices and refunds handed to the gateway right after the commit that
made them (`push_notices`, `send_refunds`), and the periodic job `fees.sync` (every `FEES_SYNC_SECONDS`) that
retries what failed and polls the gateway for payments and refunds no callback brought."""

from django.tasks import task

from yichuang.core import periodic

from . import services

SYNC = "fees.sync"


@task()
def push_notices(ids: list[int]) -> dict:
    return {"pushed": sum(services.push(pk) for pk in ids)}


@task()
def send_refunds(ids: list[int]) -> dict:
    return {"refunds_sent": sum(services.send_refund(pk) for pk in ids)}


@periodic.job(SYNC, period="FEES_SYNC_SECONDS", title="收费同步（推送缴款通知、查询缴费与退费状态）")
def fees_sync() -> dict:
    return services.sync()
