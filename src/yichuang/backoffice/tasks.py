"""The back office's worker task: the sweep (sweep.run) every `BACKOFFICE_SWEEP_SECONDS`, run by
`yichuang db_worker`. Each run enqueues the next one (`run_after`), unless one is already waiting; the
demo (and `yichuang backoffice sweep`) start the chain with `ensure_scheduled()`.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from . import sweep


@task()
def backoffice_sweep() -> dict:
    report = sweep.run()
    scheduled = schedule_next()
    return {**report.as_dict(), "next_sweep": scheduled.isoformat() if scheduled else None}


def _uses_database_tasks() -> bool:
    return type(backoffice_sweep.get_backend()).__module__.startswith("django_tasks_db")


def _waiting() -> bool:
    """Is a sweep already waiting to start (only known with the database backend)?"""
    if not _uses_database_tasks():
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(Q(status="READY"), task_path=backoffice_sweep.module_path).exists()


def schedule_next(now: dt.datetime | None = None) -> dt.datetime | None:
    """Enqueue the next sweep `BACKOFFICE_SWEEP_SECONDS` from now, unless one is waiting already. Returns when
    it runs, or None when the backend cannot defer tasks (then a cron runs `yichuang backoffice sweep`)."""
    backend = backoffice_sweep.get_backend()
    if not backend.supports_defer:
        return None
    at = (now or timezone.now()) + dt.timedelta(seconds=settings.BACKOFFICE_SWEEP_SECONDS)
    if _waiting():
        return at
    backoffice_sweep.using(run_after=at).enqueue()
    return at


def ensure_scheduled() -> bool:
    """Start the chain of sweeps now if none is waiting (idempotent: the demo calls it at every start)."""
    if _waiting():
        return False
    backoffice_sweep.enqueue()
    return True
