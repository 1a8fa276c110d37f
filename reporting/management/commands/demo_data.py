from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reporting.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = (
        "Create the demo accounts (password 'demo') and July–September 2023 of activity; "
        "September adds up to the figures of the published situation report and has its key "
        "figures and narratives. Idempotent: creates only what is missing."
    )

    def handle(self, *args, **options):
        try:
            result = build_demo()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for line in result.lines():
            self.stdout.write(line)
        accounts = ", ".join(username for username, *_ in DEMO_ACCOUNTS)
        self.stdout.write(f"Demo accounts ({DEMO_PASSWORD!r} as password): {accounts}")
