"""Create or revoke a user's API token from the shell: `api_token USERNAME [--name N]` prints a
new key once; `--revoke PREFIX` revokes one token, `--revoke` alone all of the user's."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import ApiToken, User
from partners.tokens import create_api_token, revoke_api_token

ALL = "__all__"


class Command(BaseCommand):
    help = "Create an API token for a user (the key is printed once), or revoke tokens."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line",
                            help="What the token is for (default: 'Command line').")
        parser.add_argument("--revoke", nargs="?", const=ALL, metavar="PREFIX",
                            help="Revoke the user's token whose key starts with PREFIX; "
                                 "without PREFIX, every token of the user. Write "
                                 "--revoke=PREFIX for a prefix starting with '-' (keys made "
                                 "before 5 December 2026 may).")

    def handle(self, *args, username: str, name: str, revoke: str | None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if revoke is not None:
            tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            if revoke != ALL:
                tokens = tokens.filter(prefix__startswith=revoke)
            revoked = [token for token in tokens if revoke_api_token(token=token)]
            if not revoked and revoke != ALL:
                raise CommandError(f"{username} has no live token whose key starts with {revoke!r}.")
            for token in revoked:
                self.stdout.write(f"Revoked {token.prefix}… ({token.name}).")
            if not revoked:
                self.stdout.write(f"{username} had no live token.")
            return
        try:
            token, key = create_api_token(user=user, name=name)
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from invalid
        self.stdout.write(f"Token {token.prefix}… ({token.name}) for {username}. Its key, shown "
                          "only now:")
        self.stdout.write(key)
