"""The delivery task, run by `yichuang db_worker`.

`notify` enqueues it after each commit that stored a message. Each run sends whatever is due and then
enqueues itself again (`run_after`) for the earliest pending retry, so retries keep going with the
worker alone; `yichuang notifications deliver` does the same from a shell or a cron, e.g. after the
worker was down for a while (nothing is lost then: the messages wait in the outbox).
"""

from django.tasks import task

from . import services


@task()
def deliver_pending() -> dict:
    report = services.deliver_due()
    scheduled = services.schedule_next_sweep()
    return {**report.as_dict(), "next_sweep": scheduled.isoformat() if scheduled else None}
