from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import date_format

from reporting.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD, SEPTEMBER, build_demo
from reporting.demo.current import months_to_current, move_demo
from reporting.models import ReportingPeriod


class Command(BaseCommand):
    help = (
        "Create the demo accounts (password 'demo') and July–September 2023 of activity; "
        "September adds up to the figures of the published situation report and has its key "
        "figures and narratives. Idempotent: creates only what is missing. With --current, the "
        "same demo dated to the latest months (on a database without reporting periods)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--current", action="store_true",
            help="Date the demo to the current months: its latest month becomes the most "
                 "recent one whose whole history is in the past. Needs a database without "
                 "reporting periods; run again, it changes nothing.",
        )

    def handle(self, *args, **options):
        periods = ReportingPeriod.objects.order_by("-month")
        if options["current"] and periods.exists():
            if periods.filter(month=SEPTEMBER).exists():
                raise CommandError(
                    "This database holds the September 2023 demo (or other reporting periods): "
                    "--current needs a database without them, e.g. "
                    "DATABASE_URL=sqlite:///demo-current.sqlite3.")
            self.stdout.write(f"The demo is already dated: its latest month is "
                              f"{date_format(periods.first().month, 'YEAR_MONTH_FORMAT')}.")
            return
        built_at = timezone.now()
        try:
            result = build_demo()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for line in result.lines():
            self.stdout.write(line)
        if options["current"]:
            months = months_to_current(built_at=built_at)
            move_demo(months, built_at=built_at)
            latest = periods.first().month
            self.stdout.write(f"Moved {months} months forward: the latest month is "
                              f"{date_format(latest, 'YEAR_MONTH_FORMAT')}.")
        accounts = ", ".join(username for username, *_ in DEMO_ACCOUNTS)
        self.stdout.write(f"Demo accounts ({DEMO_PASSWORD!r} as password): {accounts}")
