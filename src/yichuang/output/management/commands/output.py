"""`yichuang output remind`: remind applicants whose results wait at the output window (one reminder per
round of OutputRules.remind_after_days). The back-office sweep does this by itself; the command is for a
shell (the worker runs the sweep by itself; no cron is needed). Running it twice, or beside the worker, sends
nothing twice."""

from django.core.management.base import BaseCommand

from yichuang.output import services


class Command(BaseCommand):
    help = "Output window: 'remind' tells applicants once per round that their results wait for collection."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("remind", help="Send the reminders of uncollected results that are due now.")

    def handle(self, *args, action: str, **options):
        sent = services.send_reminders()
        self.stdout.write(self.style.SUCCESS(f"结果待领取提醒：{sent}"))
