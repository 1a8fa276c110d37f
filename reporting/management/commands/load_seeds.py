from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.seeds import SeedError, load_seeds


class Command(BaseCommand):
    help = (
        "Load organisations, sectors, indicators and locations from seeds/. Creates what is "
        "missing and keeps rows edited in the admin, unless --update is given (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=Path(settings.BASE_DIR) / "seeds",
            help="Folder with the seed CSV files (default: seeds/ of the project).",
        )
        parser.add_argument(
            "--update", action="store_true",
            help="Make existing rows match the files (overwrites edits made in the admin).",
        )

    def handle(self, *args, **options):
        try:
            report = load_seeds(options["dir"], update=options["update"])
        except SeedError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
        if report.differing:
            self.stdout.write(
                f"{report.differing} existing rows differ from the seed files and were kept as "
                "they are; run with --update to overwrite them."
            )
        self.stdout.write(
            self.style.SUCCESS("Seeds loaded.") if report.changed
            else "Seeds already up to date: nothing changed."
        )
