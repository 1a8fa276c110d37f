from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.seeds import SeedError, load_seeds


class Command(BaseCommand):
    help = "Load organisations, sectors, indicators and locations from seeds/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=Path(settings.BASE_DIR) / "seeds",
            help="Folder with the seed CSV files (default: seeds/ of the project).",
        )

    def handle(self, *args, **options):
        try:
            report = load_seeds(options["dir"])
        except SeedError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS("Seeds loaded.") if report.changed
            else "Seeds already up to date: nothing changed."
        )
