"""Write the regional 5W (R4V's template) for a month or a range of months (DESIGN §6)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reporting.models import parse_month
from reporting.regional import export


class Command(BaseCommand):
    help = "Write the regional 5W for R4V: approved lines of months FROM..TO as XLSX or CSV."

    def add_arguments(self, parser):
        parser.add_argument("month", help="First month, YYYY-MM.")
        parser.add_argument("--to", help="Last month, YYYY-MM (default: the first).")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("--preview", action="store_true",
                            help="Lines of every status, not only approved ones.")
        parser.add_argument("-o", "--output", required=True, help="The file to write.")

    def handle(self, *args, **options):
        first = parse_month(options["month"])
        if first is None:
            raise CommandError(f"Month {options['month']!r} is not a month written YYYY-MM.")
        last = first
        if options["to"]:
            last = parse_month(options["to"])
            if last is None:
                raise CommandError(f"--to {options['to']!r} is not a month written YYYY-MM.")
            if last < first:
                raise CommandError(f"--to {options['to']} comes before {options['month']}.")
        preview = options["preview"]
        if options["format"] == "csv":
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                checks = export.write_csv(out, first, last, preview=preview)
        else:
            checks = export.write_xlsx(options["output"], first, last, preview=preview)
        self.stdout.write(f"{options['output']}: {checks.rows} rows"
                          + (" (preview: every status)" if preview else ""))
        self.stdout.write(f"Flags: {len(checks.flagged)}")
        for number, flag in checks.flagged[:50]:
            self.stdout.write(f"  row {number}: {flag}")
        self.stdout.write(f"Consolidated figure (R4V): {checks.consolidated}")
