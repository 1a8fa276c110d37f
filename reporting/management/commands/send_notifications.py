"""Send the e-mail notifications waiting in the outbox; meant to run every few minutes from
cron, and once a day with --digest for the coordinators' digest of submissions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reporting.notifications import send_notifications


class Command(BaseCommand):
    help = (
        "Send the e-mail notifications that are due (returns, approvals, reopenings, locks) and "
        "retry the ones that failed, waiting longer after each failure. With --digest, also "
        "send each coordinator one e-mail listing the reports submitted in their sectors since "
        "the last digest. Safe to run on several servers at once: each notification is sent once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest", action="store_true",
            help="Also send the coordinators' daily digest of submitted reports (run once a day).",
        )

    def handle(self, *args, digest=False, **options):
        outcome = send_notifications(digest=digest)
        self.stdout.write(
            f"Sent {outcome.sent} notification(s); {outcome.failed} failed and will be retried; "
            f"{outcome.abandoned} given up (recipient inactive, without an address or opted out)."
        )
        for error in outcome.errors:
            self.stderr.write(f"Could not send to {error}")
        if outcome.failed:
            raise CommandError(f"{outcome.failed} notification(s) could not be sent; see above.")
