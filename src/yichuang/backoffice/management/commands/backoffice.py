"""`yichuang backoffice sweep`: raise warnings, terminate cases whose deferred material is overdue and remind
applicants of materials falling due — once, now — then schedule the worker's next sweep.

The worker does this by itself every BACKOFFICE_SWEEP_SECONDS; the command is for a shell, or a cron as a
safety net (`*/5 * * * * yichuang backoffice sweep`). Running it twice, or beside the worker, is harmless.
"""

from django.core.management.base import BaseCommand

from yichuang.backoffice import sweep, tasks


class Command(BaseCommand):
    help = "Back office: 'sweep' raises warnings, terminates overdue deferrals and sends reminders once, now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="Run the back-office sweep once now, then schedule the next one.")

    def handle(self, *args, action: str, **options):
        report = sweep.run(progress=self.stdout.write)
        if report.errors:
            self.stderr.write(f"{report.errors} 项因工作日历未录入而未能处理")
        scheduled = tasks.schedule_next()
        self.stdout.write(self.style.SUCCESS("完成。"))
        if scheduled:
            self.stdout.write(f"next sweep at {scheduled.isoformat()}")
