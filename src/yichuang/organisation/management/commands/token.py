"""`yichuang token USERNAME [--label L]`: issue a bearer token for the staff API and print it once."""

from django.core.management.base import BaseCommand, CommandError

from yichuang.organisation.models import ApiToken, User
from yichuang.organisation.services import issue_api_token


class Command(BaseCommand):
    help = "Issue an API token for a member of staff and print it (only its hash is kept: note it now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="", help="What the token is for, e.g. 'display board 2'.")

    def handle(self, *args, username: str, label: str, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user with username {username!r}") from None
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive: a token would be refused")
        label = label.strip()
        max_length = ApiToken._meta.get_field("label").max_length
        if len(label) > max_length:
            raise CommandError(f"the label has at most {max_length} characters")
        key = issue_api_token(user, label)
        self.stdout.write(key)
        self.stderr.write(f"Token for {username} issued (shown only once). Send: Authorization: Bearer <token>")
