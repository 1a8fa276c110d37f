"""The query parameters of the numbers' pages, read by forms: which month, which sector, and for
an explanation which figure, over which scope, about what.

A parameter that names nothing is answered with a page that says so (404), never with figures
of something else; `problem()` gives the first such message in the order the parameters are
read."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from reporting.models import (
    Location,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    Sector,
    parse_month,
)

from .explain import FIGURES, SCOPES

# Error messages, as constants so that tests can assert the text.
NOT_A_MONTH = _("“%(value)s” is not a month: write it as YYYY-MM, for example 2023-09.")
NO_PERIOD = _("There is no reporting period for %(month)s.")
NO_SECTOR = _("There is no sector with the code “%(code)s”.")
NO_FIGURE = _("There is no figure called “%(value)s”.")
NO_SCOPE = _("Choose the month (scope=month) or the year to date (scope=ytd).")
NO_PERIOD_YET = _("No reporting period has been opened yet.")
NO_SUBJECT = _("Say which sector, department or population type (code=…).")
NO_DEPARTMENT = _("There is no department with the code “%(code)s”.")
NO_POPULATION_TYPE = _("There is no population type “%(code)s”.")


def sector_of(code: str, sectors: list[Sector]) -> Sector | None:
    """Return the sector of `code` (any case) among `sectors`, None for no code."""
    code = code.strip()
    if not code:
        return None
    for sector in sectors:
        if sector.code.upper() == code.upper():
            return sector
    raise ValidationError(NO_SECTOR % {"code": code})


class FiguresForm(forms.Form):
    """The dashboard's parameters: the month (YYYY-MM; by default the latest month with approved
    reports, else the month partners are reporting on now) and a sector (its code), or all."""

    period = forms.CharField(required=False)
    sector = forms.CharField(required=False)

    def __init__(self, data, *, sectors: list[Sector]):
        super().__init__(data)
        # Read once by the view, which lists them too: no query of its own.
        self.sectors = sectors

    def clean_period(self) -> ReportingPeriod | None:
        code = self.cleaned_data["period"]
        if not code:
            return (
                ReportingPeriod.objects.filter(reports__status=ReportStatus.APPROVED)
                .order_by("-month").first()
                or ReportingPeriod.objects.current()
            )
        month = parse_month(code)
        if month is None:
            raise ValidationError(NOT_A_MONTH % {"value": code})
        period = ReportingPeriod.objects.filter(month=month).first()
        if period is None:
            raise ValidationError(NO_PERIOD % {"month": date_format(month, "F Y")})
        return period

    def clean_sector(self) -> Sector | None:
        return sector_of(self.cleaned_data["sector"], self.sectors)

    def problem(self) -> str | None:
        """Return the first thing wrong with the parameters, or None."""
        for errors in self.errors.values():
            return errors[0]
        return None


class ExplainForm(FiguresForm):
    """An explanation's parameters: the month and sector filter of the dashboard it came from,
    the figure (`headline` by default), the scope (`month` by default, or `ytd`) and, for a
    sector, department or population-type figure, the code of its subject.

    Once valid, `cleaned_data` also holds `subject` (the sector of a sector figure) and
    `subject_name`, and the form `department_names` (code → name)."""

    figure = forms.CharField(required=False, strip=False)
    scope = forms.CharField(required=False, strip=False)
    code = forms.CharField(required=False)

    def __init__(self, data, *, sectors: list[Sector]):
        data = data.copy()
        # Only an absent parameter takes the default; an empty one names no figure.
        data.setdefault("figure", "headline")
        data.setdefault("scope", "month")
        super().__init__(data, sectors=sectors)
        self.department_names: dict[str, str] = {}

    def clean_figure(self) -> str:
        figure = self.cleaned_data["figure"]
        if figure not in FIGURES:
            raise ValidationError(NO_FIGURE % {"value": figure})
        return figure

    def clean_scope(self) -> str:
        scope = self.cleaned_data["scope"]
        if scope not in SCOPES:
            raise ValidationError(NO_SCOPE)
        return scope

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned["period"] is None:
            raise ValidationError(NO_PERIOD_YET)
        self.department_names = dict(Location.objects.departments().values_list("code", "name"))
        cleaned["subject"], cleaned["subject_name"] = self._subject(
            cleaned["figure"], cleaned["code"])
        return cleaned

    def _subject(self, figure: str, code: str) -> tuple[Sector | None, str]:
        """Return the sector a figure is about (for a sector figure) and its subject's name."""
        if figure in ("headline", "cbi"):
            return None, ""
        if not code:
            raise ValidationError(NO_SUBJECT)
        if figure == "sector":
            subject = sector_of(code, self.sectors)
            return subject, subject.name
        if figure == "department":
            if code not in self.department_names:
                raise ValidationError(NO_DEPARTMENT % {"code": code})
            return None, self.department_names[code]
        labels = dict(PopulationType.choices)
        if code not in labels:
            raise ValidationError(NO_POPULATION_TYPE % {"code": code})
        return None, str(labels[code])
