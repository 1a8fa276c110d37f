from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from reporting.models import ReportingPeriod, SitrepEdition, parse_month
from reporting.numbers import sitrep


class Command(BaseCommand):
    help = (
        "Write the situation report of a month (YYYY-MM) as JSON, HTML or PDF: the live figures "
        "of approved data, or with --edition N the figures frozen in a published edition."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month, as YYYY-MM (e.g. 2023-09).")
        parser.add_argument("--format", choices=["json", "html", "pdf"], default="json")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the names and texts (default: %(default)s).",
        )
        parser.add_argument("--edition", type=int,
                            help="A published edition's number: its frozen figures.")

    def handle(self, *args, **options):
        month = parse_month(options["month"])
        if month is None:
            raise CommandError(f"Write the month as YYYY-MM (e.g. 2023-09), not {options['month']!r}.")
        period = ReportingPeriod.objects.filter(month=month).first()
        if period is None:
            raise CommandError(f"There is no reporting period for {options['month']}.")
        edition = None
        if options["edition"] is not None:
            edition = SitrepEdition.objects.filter(period=period, number=options["edition"]).first()
            if edition is None:
                raise CommandError(
                    f"{options['month']} has no edition {options['edition']}; published: "
                    + (", ".join(str(n) for n in period.editions.order_by("number")
                                 .values_list("number", flat=True)) or "none")
                    + "."
                )
            data = edition.data
        else:
            data = sitrep.build_report(period)

        language = options["language"]
        with translation.override(language):
            if options["format"] == "json":
                content = json.dumps(sitrep.as_contract_json(data, language), ensure_ascii=False,
                                     indent=2) + "\n"
                payload = content.encode()
            elif options["format"] == "html":
                payload = sitrep.render_standalone(data, edition=edition).encode()
            else:
                payload = sitrep.render_pdf(data, edition=edition)

        if options["output"]:
            try:
                Path(options["output"]).write_bytes(payload)
            except OSError as error:
                raise CommandError(f"Cannot write {options['output']}: {error.strerror}.") from error
            self.stderr.write(f"Wrote {options['output']} ({len(payload):,} bytes).")
        elif options["format"] == "pdf":
            stream = self.stdout._out
            getattr(stream, "buffer", stream).write(payload)
            stream.flush()
        else:
            self.stdout.write(payload.decode(), ending="")
