"""`yichuang worker`: the task worker — django-tasks-db's `db_worker` (same options) plus the periodic jobs.

    yichuang worker [--queue-name default] [--interval 1] [--worker-id ID] …

Beside django-tasks-db's task loop (notifications after each commit, …) a thread of the same process runs the
periodic jobs (yichuang.core.periodic: the back-office sweep, the notifications catch-up) and writes the
worker's heartbeat. Nothing needs to be started or scheduled beforehand: on a fresh database the jobs get their
rows and run at once. Several workers may run against one database; each job runs in one of them at a time.
SIGTERM or Ctrl-C stops it gracefully (the task and jobs running get a few seconds); a second one at once.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from yichuang.core import periodic


class Command(DbWorkerCommand):
    help = (
        "Run the task worker: background tasks from the database and the periodic jobs (back-office sweep, "
        "notifications catch-up), with a heartbeat shown by `yichuang status`. Options as db_worker's."
    )

    def handle(self, *args, **options):
        batch, reload = options["batch"], options["reload"]
        if batch or (reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"):
            # --batch drains the queue and exits (no periodic jobs); with --reload this process only watches
            # the code, and its child (DJANGO_AUTORELOAD_ENV=true) is the worker.
            return super().handle(*args, **options)
        scheduler = periodic.Scheduler(options["worker_id"])
        scheduler.start()
        try:
            return super().handle(*args, **options)
        finally:
            scheduler.stop()
