"""Email partners, and after the deadline their sector coordinators, about missing reports."""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from reporting.models import Reminder, ReminderKind, ReportingPeriod, parse_month
from reporting.numbers.completeness import (
    SCHEDULE_HELP,
    CellState,
    PlannedReminder,
    open_periods,
    plan_reminders,
    reminder_due,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date: {value!r} is not a date written YYYY-MM-DD.") from error


def _base_url(option: str | None) -> str:
    url = option or getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")
    return (url or DEFAULT_BASE_URL).rstrip("/")


def _tidy(text: str) -> str:
    """Drop the blank lines and trailing spaces that template tags leave in a text email."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _context(plan: PlannedReminder, *, base_url: str, today: dt.date) -> dict:
    period = plan.period
    home = base_url + reverse("reporting:home") + "?" + urlencode({"period": period.code})
    context = {
        "recipient": plan.recipient,
        "kind": plan.kind,
        "period": period,
        "days_left": (period.deadline - today).days,
        "days_late": (today - period.deadline).days,
    }
    if plan.kind == ReminderKind.COORDINATOR:
        context["body_txt"] = "reporting/email/_coordinator.txt"
        context["body_html"] = "reporting/email/_coordinator.html"
        context["groups"] = [
            {
                "sector": sector,
                "cells": list(cells),
                "url": base_url + reverse("reporting:completeness") + "?"
                + urlencode({"period": period.code, "sector": sector.code}),
            }
            for sector, cells in groupby(plan.missing, key=lambda cell: cell.sector)
        ]
        return context
    context["body_txt"] = "reporting/email/_partner.txt"
    context["body_html"] = "reporting/email/_partner.html"
    context["organisation"] = plan.recipient.organisation
    context["items"] = [
        {
            "cell": cell,
            "url": base_url + reverse("reporting:report-detail", args=[cell.report_id])
            if cell.report_id else home,
        }
        for cell in plan.missing
    ]
    context["has_not_started"] = any(cell.state == CellState.MISSING for cell in plan.missing)
    return context


def render_reminder(plan: PlannedReminder, *, base_url: str, today: dt.date) -> EmailMultiAlternatives:
    """Return the email of `plan` in the language its recipient chose on their page; for one
    who chose none, in the site's language with an English copy below it."""
    context = _context(plan, base_url=base_url, today=today)
    context["english_copy"] = not plan.recipient.language
    with translation.override(plan.recipient.email_language):
        subject = " ".join(render_to_string("reporting/email/reminder_subject.txt", context).split())
        context["subject"] = subject
        text = _tidy(render_to_string("reporting/email/reminder.txt", context))
        html = render_to_string("reporting/email/reminder.html", context)
    message = EmailMultiAlternatives(subject, text, to=[plan.recipient.email])
    message.attach_alternative(html, "text/html")
    return message


class Command(BaseCommand):
    help = (
        "Email reminders about missing monthly reports; meant to run once a day from cron. "
        + SCHEDULE_HELP
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=_date, default=None,
            help="Act as on this day (YYYY-MM-DD). Default: today in Lima (TIME_ZONE).",
        )
        parser.add_argument(
            "--period", default=None, metavar="YYYY-MM",
            help="Only this month's period (the schedule still applies). Default: every period "
                 "whose reporting window is open.",
        )
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Print who would get which reminder; send and record nothing.",
        )
        parser.add_argument(
            "--base-url", default=None,
            help=f"Where the links in the emails point. Default: the SITE_URL setting, else the "
                 f"SITE_URL environment variable, else {DEFAULT_BASE_URL}.",
        )

    def handle(self, *args, date=None, period=None, dry_run=False, base_url=None, **options):
        today = date or timezone.localdate()
        base_url = _base_url(base_url)
        periods = [self._period(period)] if period else open_periods(today)
        if not periods:
            self.stdout.write(f"{today}: no period is open for reporting; nothing to send.")
        counts = {"sent": 0, "already": 0, "failed": 0}
        for each in periods:
            self._remind(each, today=today, base_url=base_url, dry_run=dry_run, counts=counts)
        verb = "would send" if dry_run else "sent"
        self.stdout.write(
            f"{today}: {verb} {counts['sent']} reminder(s); {counts['already']} already sent "
            f"today; {counts['failed']} failed."
        )
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} reminder(s) could not be sent; see above.")

    def _period(self, code: str) -> ReportingPeriod:
        month = parse_month(code)
        if month is None:
            raise CommandError(f"--period: {code!r} is not a month written YYYY-MM.")
        found = ReportingPeriod.objects.filter(month=month).first()
        if found is None:
            raise CommandError(f"--period: there is no reporting period for {code}.")
        return found

    def _remind(self, period, *, today, base_url, dry_run, counts) -> None:
        kind = reminder_due(period, today)
        if kind is None:
            state = "locked" if period.is_locked else "open"
            self.stdout.write(
                f"{period.code} ({state}, deadline {period.deadline}): no reminders due on {today}."
            )
            return
        plans = plan_reminders(period=period, kind=kind)
        done = set(
            Reminder.objects.filter(period=period, sent_on=today).values_list("recipient_id", flat=True)
        )
        self.stdout.write(f"{period.code} (deadline {period.deadline}): {len(plans)} reminder(s) due.")
        for plan in plans:
            line = f"  {plan.kind:<11} {plan.recipient.email}: " + ", ".join(
                f"{cell.organisation.acronym} {cell.sector.code} {cell.state}" for cell in plan.missing
            )
            if plan.recipient.pk in done:
                counts["already"] += 1
                self.stdout.write(f"{line} (already sent today)")
                continue
            message = render_reminder(plan, base_url=base_url, today=today)
            if dry_run:
                counts["sent"] += 1
                self.stdout.write(f"{line} (dry run)")
                continue
            outcome = self._send(plan, message, today=today)
            counts[outcome] += 1
            self.stdout.write(line if outcome == "sent" else f"{line} ({outcome})")

    def _send(self, plan: PlannedReminder, message: EmailMultiAlternatives, *, today) -> str:
        # The row is written before sending, so that two runs at once cannot both send; it is
        # removed again if sending fails, so that the next run tries again.
        with transaction.atomic():
            reminder, created = Reminder.objects.get_or_create(
                period=plan.period, recipient=plan.recipient, sent_on=today,
                defaults={"kind": plan.kind, "missing": plan.summary},
            )
        if not created:
            return "already"
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            reminder.delete()
            self.stderr.write(f"Could not send to {plan.recipient.email}: {error}")
            return "failed"
        return "sent"
