"""Delivery of the outbox by the task worker (`yichuang worker`).

`notify` enqueues the task `deliver_pending` after each commit that stored a message, so a message goes out
at once. The periodic job `deliver_catch_up` (every `NOTIFICATION_CATCHUP_SECONDS`, started by the worker
itself, see yichuang.core.periodic) sends whatever else is due: retries after a failure, and messages whose
task was lost (the worker was down). `yichuang notifications deliver` does the same once, by hand.
"""

from django.tasks import task

from yichuang.core import periodic

from . import services

CATCH_UP = "notifications.deliver"


@task()
def deliver_pending() -> dict:
    return services.deliver_due().as_dict()


@periodic.job(CATCH_UP, period="NOTIFICATION_CATCHUP_SECONDS", title="通知补发（到期的通知与重试）")
def deliver_catch_up() -> dict:
    return services.deliver_due().as_dict()
