"""`yichuang feedback defaults`: give the default rating (默认评价) to concluded cases not rated within
FeedbackRules.default_after_days — nothing when that rule is off (the default). Safe to run twice; the
back-office sweep runs it too."""

from django.core.management.base import BaseCommand

from yichuang.feedback import services
from yichuang.feedback.models import FeedbackRules


class Command(BaseCommand):
    help = "Feedback: 'defaults' gives the default rating to concluded cases not rated in time (when turned on)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("defaults", help="Give the default ratings now.")

    def handle(self, *args, action: str, **options):
        if not FeedbackRules.current().default_after_days:
            self.stdout.write("默认评价未启用（评价规则 · 默认好评天数为空）。")
            return
        made = services.apply_default_ratings()
        self.stdout.write(self.style.SUCCESS(f"默认评价：{made}"))
