"""The demo dated to the current months (`demo_data --current`).

The demo is built as July–September 2023, the months of the published situation report it
reproduces; this moves every date of its activity by whole months, so that its latest month is
the most recent one whose whole history (submissions, reviews, the published edition) is already
in the past. The figures do not change: only when things happened.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone

from reporting.models import (
    ActivityLine,
    ImportBatch,
    KeyFigures,
    LineChange,
    MonthlyReport,
    Narrative,
    PeriodEvent,
    Reminder,
    ReportingPeriod,
    ReviewEvent,
    SitrepEdition,
)
from reporting.numbers import sitrep

# The tables of the monthly activity; reference data (organisations, places...) keeps its dates.
DATED = (PeriodEvent, MonthlyReport, ActivityLine, ReviewEvent, LineChange, KeyFigures,
         Narrative, SitrepEdition, Reminder, ImportBatch)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return `day` moved by `months`, on the same day of the month or the month's last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _fields(model, kind) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if type(f) is kind]


def _latest_moment(before: dt.datetime) -> dt.datetime | None:
    moments = [
        value for model in DATED for name in _fields(model, models.DateTimeField)
        if (value := model.objects.filter(**{f"{name}__lt": before}).aggregate(
            latest=Max(name))["latest"]) is not None
    ]
    return max(moments, default=None)


def months_to_current(*, built_at: dt.datetime, now: dt.datetime | None = None) -> int:
    """Return how many months the demo can move forward with nothing dated in the future.
    Moments from `built_at` on (rows stamped when the demo was built) stay where they are."""
    now = now or timezone.now()
    latest_month = ReportingPeriod.objects.aggregate(latest=Max("month"))["latest"]
    if latest_month is None:
        return 0
    today = timezone.localdate(now)
    months = (today.year - latest_month.year) * 12 + today.month - latest_month.month
    latest = _latest_moment(built_at)
    while months > 0 and latest is not None and _moved(latest, months) > now:
        months -= 1
    return max(months, 0)


def _days(month: dt.date, months: int) -> dt.timedelta:
    return add_months(month, months) - month


def _moved(moment: dt.datetime, months: int) -> dt.datetime:
    return moment + _days(moment.date().replace(day=1), months)


def _move_moments(model, name: str, months: int, before: dt.datetime) -> None:
    """Move a moment column by `months`: each calendar month's rows by that month's number of
    days, so that the 3rd at 12:17 stays the 3rd at 12:17. The latest month first, so that a
    row once moved is never moved again."""
    rows = model.objects.filter(**{f"{name}__lt": before})
    span = rows.aggregate(first=models.Min(name), last=Max(name))
    if span["first"] is None:
        return
    month = span["last"].date().replace(day=1)
    while month >= span["first"].date().replace(day=1):
        start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
        end = dt.datetime.combine(add_months(month, 1), dt.time(), tzinfo=dt.UTC)
        rows.filter(**{f"{name}__gte": start, f"{name}__lt": end}).update(
            **{name: F(name) + _days(month, months)})
        month = add_months(month, -1)


@transaction.atomic
def move_demo(months: int, *, built_at: dt.datetime) -> None:
    """Move every date of the demo's activity `months` months forward, and refreeze the
    published editions. Moments from `built_at` on (stamped when the demo was built) stay."""
    if months <= 0:
        return
    # The latest month first, so that no two periods ever share a month on the way.
    for period in ReportingPeriod.objects.order_by("-month"):
        ReportingPeriod.objects.filter(pk=period.pk).update(
            month=add_months(period.month, months),
            deadline=add_months(period.deadline, months),
            lock_date=add_months(period.lock_date, months) if period.lock_date else None,
            status_changed_at=(_moved(period.status_changed_at, months)
                               if period.status_changed_at else None),
        )
    for model in DATED:
        for name in _fields(model, models.DateTimeField):
            _move_moments(model, name, months, built_at)
        for name in _fields(model, models.DateField):
            for pk, value in model.objects.filter(**{f"{name}__isnull": False}).values_list(
                    "pk", name):
                model.objects.filter(pk=pk).update(**{name: add_months(value, months)})
    # An edition's frozen figures name its month: freeze them again under the new one.
    for edition in SitrepEdition.objects.select_related("period"):
        data = sitrep.build_report(edition.period)
        data["generated_at"] = timezone.localtime(edition.published_at).isoformat(
            timespec="seconds")
        SitrepEdition.objects.filter(pk=edition.pk).update(data=data)
