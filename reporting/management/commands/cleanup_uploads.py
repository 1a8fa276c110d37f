"""Remove the files of activity uploads left unconfirmed for IMPORT_UNCONFIRMED_DAYS."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation

from reporting.sheets import uploads


class Command(BaseCommand):
    help = (
        "Remove the files of activity uploads not confirmed within IMPORT_UNCONFIRMED_DAYS days "
        "(waiting for confirmation or with errors); confirmed uploads are kept. Meant to run "
        "daily from cron; a second run removes nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="List what would be removed, and remove nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        days = settings.IMPORT_UNCONFIRMED_DAYS
        now = timezone.now()
        with transaction.atomic():
            # Locked, so that an upload confirmed while this runs is either saved first (and
            # kept) or finds its file removed; never half of each. The files are not read.
            expired = list(
                uploads.expired_uploads(now=now)
                .select_related("uploaded_by")
                .select_for_update(of=("self",))
                .defer("content")
                .order_by("created_at", "pk")
            )
            if not dry_run:
                uploads.discard_uploads(
                    batches=uploads.unconfirmed_uploads().filter(pk__in=[b.pk for b in expired]),
                    now=now,
                )
        with translation.override("en"):  # a log for whoever runs the server, in one language
            self._report(expired, days=days, dry_run=dry_run)

    def _report(self, expired, *, days: int, dry_run: bool) -> None:
        verb = "Would remove" if dry_run else "Removed"
        for batch in expired:
            self.stdout.write(
                f"{verb} upload {batch.pk}: {batch.filename} ({filesizeformat(batch.size)}), "
                f"{batch.get_status_display()}, by {batch.uploaded_by.username} on "
                f"{timezone.localtime(batch.created_at):%Y-%m-%d %H:%M}"
            )
        if not expired:
            self.stdout.write(f"Nothing to remove: no unconfirmed upload is older than {days} days.")
            return
        total = filesizeformat(sum(batch.size for batch in expired))
        self.stdout.write(
            f"{verb} the files of {len(expired)} uploads ({total}) not confirmed within {days} "
            f"days." + (" Nothing was changed (--dry-run)." if dry_run else "")
        )
