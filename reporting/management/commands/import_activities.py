"""Load an activity spreadsheet (DESIGN §5) the way the web upload does, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners.models import Role, User
from reporting.sheets import planner, reading


class Command(BaseCommand):
    help = (
        "Import activity lines from an XLSX or CSV file in the template's columns. Every row is "
        "checked first; on any error the row-level report is printed and nothing is saved. "
        "Each monthly report the file covers gets the file's lines in place of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The XLSX or CSV file.")
        parser.add_argument(
            "--user",
            help="Username the lines are saved as. A partner user may import only their own "
                 "organisation's rows; an IM officer any organisation's. Default: the IM "
                 "officer, when the platform has exactly one active IM officer.",
        )
        parser.add_argument(
            "--as-approved", action="store_true",
            help="Historic, already validated data (IM officers only): create the periods it "
                 "needs, work in locked periods and save the reports as approved.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        user = self._user(options["user"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(reason)s")
                               % {"file": path, "reason": error.strerror or error}) from error
        try:
            table = reading.read_table(data, path.name)
            plan = planner.apply_import(table, user=user, as_approved=options["as_approved"],
                                        filename=path.name)
        except reading.FileRejected as rejected:
            raise CommandError(rejected.message) from rejected
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from denied
        except planner.ImportFailed as failed:
            self.stderr.write(planner.errors_as_text(failed.plan.errors))
            count = len(failed.plan.errors)
            raise CommandError(ngettext(
                "%(count)d error in %(file)s: nothing was saved.",
                "%(count)d errors in %(file)s: nothing was saved.",
                count,
            ) % {"count": count, "file": path.name}) from failed

        for report_plan in plan.reports:
            report = report_plan.report
            self.stdout.write(ngettext(
                "%(organisation)s · %(sector)s · %(month)s: %(added)d line saved, "
                "%(removed)d replaced (%(status)s report).",
                "%(organisation)s · %(sector)s · %(month)s: %(added)d lines saved, "
                "%(removed)d replaced (%(status)s report).",
                len(report_plan.lines),
            ) % {
                "organisation": report_plan.organisation.acronym,
                "sector": report_plan.sector.code,
                "month": report_plan.month.strftime("%Y-%m"),
                "added": len(report_plan.lines),
                "removed": report_plan.existing_lines,
                "status": report.get_status_display(),
            })
        self.stdout.write(self.style.SUCCESS(ngettext(
            "Imported %(lines)d lines into %(reports)d report.",
            "Imported %(lines)d lines into %(reports)d reports.",
            len(plan.reports),
        ) % {"lines": plan.line_count, "reports": len(plan.reports)}))

    def _user(self, username: str | None) -> User:
        """Return who the load is recorded as: the named user, or else the one IM officer."""
        if username is None:
            officers = list(User.objects.filter(role=Role.IM_OFFICER, is_active=True)[:2])
            if len(officers) != 1:
                raise CommandError(_("Name the user the lines are saved as with --user."))
            return officers[0]
        user = User.objects.filter(username=username).select_related("organisation").first()
        if user is None or not user.is_active:
            raise CommandError(_("There is no active user “%(username)s”.")
                               % {"username": username})
        return user
