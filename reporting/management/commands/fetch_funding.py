from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.funding import fts
from reporting.funding.store import store
from reporting.models import ReportingPeriod, parse_month


class Command(BaseCommand):
    help = (
        "Read the RMRP's requirement and funding for Peru from OCHA's FTS (its API, or its CSV "
        "download with --file) and store them in a month's key figures with their source and "
        "date. On any failure the last good figures stay, and the reason is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="The plan's year, e.g. 2023.")
        parser.add_argument("--plan-id", type=int, help="FTS's id of the plan (skips the search).")
        parser.add_argument("--file", type=Path, action="append", default=[],
                            help="FTS's CSV download (fts_requirements_funding_per.csv, and "
                                 "optionally fts_requirements_funding_cluster_per.csv); "
                                 "repeat for both. Without it, FTS's API is read.")
        parser.add_argument("--month", help="The month whose key figures get the funding "
                                            "(YYYY-MM; default: the current month if it is in "
                                            "YEAR, else YEAR's latest month).")

    def handle(self, *args, **options):
        year = options["year"]
        if not 2015 <= year <= 2100:  # FTS's RMRP plans start in 2019
            raise CommandError(f"{year} is not a plan year.")
        period = self._period(year, options["month"])
        try:
            if options["file"]:
                for path in options["file"]:
                    if not path.is_file():
                        raise fts.FundingError(f"{path}: no such file.")
                funding = fts.read_csv_files(options["file"], year, options["plan_id"])
            else:
                api = fts.FtsApi(fetch=fts.http_fetch(settings.FTS_TIMEOUT_SECONDS),
                                 base=settings.FTS_API_BASE)
                funding = api.funding(year, options["plan_id"])
        except fts.FundingError as error:
            raise CommandError(f"{error} The funding figures of {period} were kept as they "
                               "were.") from error
        stored = store(funding, period)
        key = stored.key_figures
        self.stdout.write(
            f"{period.code}: plan {funding.plan_id}{f' ({funding.plan_name})' if funding.plan_name else ''}"
            f" — requirement {funding.required or '–'} USD, funding {funding.funded} USD "
            f"({funding.source}); {len(funding.clusters)} sector rows, {stored.sectors_matched} "
            "matched to our sectors."
        )
        if stored.unmatched:
            self.stdout.write("Kept under FTS's name (no sector of ours): "
                              + ", ".join(stored.unmatched))
        if stored.kept_override:
            self.stdout.write(self.style.WARNING(
                f"Kept the figures an IM officer typed over FTS's "
                f"({key.funding_required_usd} / {key.funding_received_usd} USD: "
                f"{key.funding_override_reason})."))

    @staticmethod
    def _period(year: int, code: str | None) -> ReportingPeriod:
        if code:
            month = parse_month(code)
            if month is None:
                raise CommandError(f"“{code}” is not a month: write it as YYYY-MM.")
            period = ReportingPeriod.objects.filter(month=month).first()
            if period is None:
                raise CommandError(f"There is no reporting period for {code}.")
            return period
        current = ReportingPeriod.objects.current()
        if current is not None and current.month.year == year:
            return current
        period = ReportingPeriod.objects.filter(month__year=year).order_by("-month").first()
        if period is None:
            raise CommandError(f"There is no reporting period in {year}: give --month.")
        return period
