"""`yichuang exchange deliver | status | create-tables`: the exchange with the provincial platform by hand.

The worker drains the outbox by itself (the periodic job `exchange.deliver`); `deliver` runs it once, recorded
on the same job row. `create-tables` creates the front database's tables (docs/exchange.md) at EXCHANGE_TARGET,
for a test installation — the province normally provides them.
"""

from django.core.management.base import BaseCommand, CommandError

from yichuang.core import periodic
from yichuang.exchange import queries, services, tasks
from yichuang.exchange.targets import FrontDatabase, get_target


class Command(BaseCommand):
    help = "Exchange outbox: 'deliver' drains it now; 'status' counts rows by status; 'create-tables' (test)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="Deliver every due event now (the worker does it periodically).")
        sub.add_parser("status", help="Count pending, sent, rejected and failed events.")
        sub.add_parser("create-tables", help="Create the front database's tables at EXCHANGE_TARGET.")

    def handle(self, *args, action: str, **options):
        if action == "deliver":
            report = periodic.run_by_hand(tasks.DRAIN, services.deliver_due)
            self.stdout.write(", ".join(f"{k} {v}" for k, v in report.as_dict().items()))
        elif action == "status":
            for status, count in queries.counts().items():
                self.stdout.write(f"{status}: {count}")
        else:
            target = get_target()
            if not isinstance(target, FrontDatabase):
                raise CommandError("EXCHANGE_TARGET is not a front database URL.")
            target.create_tables()
            target.close()
            self.stdout.write("created")
