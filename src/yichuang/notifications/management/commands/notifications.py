"""`yichuang notifications deliver`: send every due message now.

The task worker (`yichuang worker`) does this by itself: at once after each stored message, and every
NOTIFICATION_CATCHUP_SECONDS for retries and anything missed. The command is for a shell; its run is recorded
on the worker's job row (admin: 后台任务状态, `yichuang status`).
"""

from django.core.management.base import BaseCommand

from yichuang.core import periodic
from yichuang.notifications import services, tasks
from yichuang.notifications.models import Message


class Command(BaseCommand):
    help = "Notifications outbox: 'deliver' sends every due message; 'status' counts messages by status."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="Send every due message now (the worker does it periodically).")
        sub.add_parser("status", help="Count pending, sent and failed messages.")

    def handle(self, *args, action: str, **options):
        if action == "deliver":
            report = periodic.run_by_hand(tasks.CATCH_UP, services.deliver_due)
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, expired {report.expired}"
            )
        else:
            for status in Message.Status:
                count = Message.objects.filter(status=status).count()
                self.stdout.write(f"{status.value}: {count}")
