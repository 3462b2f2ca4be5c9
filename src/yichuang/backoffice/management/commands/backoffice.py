"""`yichuang backoffice sweep`: raise warnings, terminate cases whose deferred material is overdue and remind
applicants of materials falling due — once, now.

The worker (`yichuang worker`) does this by itself every BACKOFFICE_SWEEP_SECONDS; the command is for a shell.
Its run is recorded on the same row as the worker's (admin: 后台任务状态, `yichuang status`). Running it twice, or
beside the worker, is harmless.
"""

from django.core.management.base import BaseCommand

from yichuang.backoffice import sweep, tasks
from yichuang.core import periodic


class Command(BaseCommand):
    help = "Back office: 'sweep' raises warnings, terminates overdue deferrals and sends reminders once, now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="Run the back-office sweep once now (the worker runs it periodically).")

    def handle(self, *args, action: str, **options):
        report = periodic.run_by_hand(tasks.SWEEP, lambda: sweep.run(progress=self.stdout.write))
        if report.errors:
            self.stderr.write(f"{report.errors} 项因工作日历未录入而未能处理")
        self.stdout.write(self.style.SUCCESS("完成。"))
