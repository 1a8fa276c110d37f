from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from partners.models import User
from reporting.reference.seeds import SeedError, load_seeds, record_in_admin_history


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
            help="Make existing rows match the files (overwrites edits made in the admin). "
                 "Needs --by.",
        )
        parser.add_argument(
            "--by", metavar="USERNAME",
            help="The IM officer loading the files: the admin's history of every row added or "
                 "changed names them. Required with --update.",
        )

    def handle(self, *args, **options):
        user = None
        if options["by"]:
            user = User.objects.filter(username=options["by"]).first()
            if user is None or not user.is_im_officer:
                raise CommandError(
                    f"--by {options['by']}: no active IM officer has this username."
                )
        elif options["update"]:
            raise CommandError(
                "--update changes reference data that reports use: name the IM officer who "
                "makes the change with --by USERNAME, so that the admin's history records it."
            )
        try:
            with transaction.atomic():
                report = load_seeds(options["dir"], update=options["update"])
                logged = record_in_admin_history(report, user) if user else 0
        except SeedError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
        if user:
            self.stdout.write(f"{logged} rows added or changed, recorded in the admin's history "
                              f"in the name of {user.username}.")
        if report.differing:
            self.stdout.write(
                f"{report.differing} existing rows differ from the seed files and were kept as "
                "they are; run with --update to overwrite them."
            )
        self.stdout.write(
            self.style.SUCCESS("Seeds loaded.") if report.changed
            else "Seeds already up to date: nothing changed."
        )
