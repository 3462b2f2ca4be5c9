"""`yichuang notifications deliver`: send every due message now and schedule the next sweep.

The task worker does this by itself (deliver_pending re-enqueues itself for the next retry); the command
is for a shell, or for a cron as a safety net when the worker was down: `*/5 * * * * yichuang notifications deliver`.
"""

from django.core.management.base import BaseCommand

from yichuang.notifications import services
from yichuang.notifications.models import Message


class Command(BaseCommand):
    help = "Notifications outbox: 'deliver' sends every due message; 'status' counts messages by status."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="Send every due message now, then schedule the next sweep.")
        sub.add_parser("status", help="Count pending, sent and failed messages.")

    def handle(self, *args, action: str, **options):
        if action == "deliver":
            report = services.deliver_due()
            scheduled = services.schedule_next_sweep()
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, expired {report.expired}"
            )
            if scheduled:
                self.stdout.write(f"next sweep at {scheduled.isoformat()}")
        else:
            for status in Message.Status:
                count = Message.objects.filter(status=status).count()
                self.stdout.write(f"{status.value}: {count}")
