from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.reference.plans import PlanFileError, load_plan


class Command(BaseCommand):
    help = (
        "Create or update an RMRP plan and its indicators from a CSV or XLSX file (the plan's "
        "code, first month and names, then one row per indicator), without touching older "
        "plans' data but the successor of the indicators it replaces. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The plan's file, CSV or XLSX.")

    def handle(self, *args, **options):
        path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            load = load_plan(path)
        except PlanFileError as failed:
            self.stderr.write(str(failed))
            count = len(failed.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {path.name}: "
                               "nothing was saved.") from failed
        self.stdout.write(
            f"Plan {load.plan.code} ({'created' if load.created else 'updated'}, from "
            f"{load.plan.first_month:%Y-%m}): {load.indicators_created} indicators created, "
            f"{load.indicators_updated} updated, {load.successors_set} successors named."
        )
