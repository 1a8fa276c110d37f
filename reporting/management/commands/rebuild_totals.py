"""Recompute the counted totals from the lines, or check that they agree with them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, transaction

from reporting.numbers import totals


class Command(BaseCommand):
    help = (
        "Recompute the counted totals behind every figure from the approved lines. The database "
        "triggers keep them right on every change; this is for after a restore or a bulk load "
        "that bypassed them. With --check, only compare and exit 1 if they differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Compare the totals with the lines and change nothing.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, check: bool, database: str, **options):
        if check:
            differences = totals.differences(database)
            if differences:
                for key, delta in sorted(differences.items(), key=str)[:20]:
                    self.stderr.write(f"{key}: stored − expected = {delta}")
                raise CommandError(f"{len(differences)} totals differ from the approved lines.")
            self.stdout.write("The counted totals agree with the approved lines.")
            return
        with transaction.atomic(using=database):
            totals.rebuild(database)
        self.stdout.write("Counted totals recomputed from the approved lines.")
