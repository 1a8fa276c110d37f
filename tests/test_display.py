"""The report page's rows are formatted in Python: the same text the template filters gave."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import override

from reporting.display import cash_text, int_formatter, line_rows, url_pattern
from reporting.models import Location

from .factories import LineFactory


@pytest.mark.parametrize("language", ["en", "es"])
def test_numbers_are_grouped_as_intcomma_groups_them(language):
    with override(language):
        grouped = int_formatter()
        for number in (0, 7, 999, 1000, 1540, 25290, 1_000_000, 1_234_567_890):
            assert grouped(number) == intcomma(number)


@pytest.mark.parametrize("language", ["en", "es"])
def test_cash_is_shown_as_floatformat_2g_shows_it(language):
    with override(language):
        for amount in (Decimal("0"), Decimal("12.5"), Decimal("1234.56"), Decimal("9876543.21")):
            assert cash_text(amount) == floatformat(amount, "2g")
        assert cash_text(None) == ""


def test_urls_are_made_as_reverse_makes_them():
    edit = url_pattern("reporting:line-edit", 12)
    assert edit(345) == reverse("reporting:line-edit", args=[12, 345])
    assert url_pattern("reporting:line-delete", 7)(8) == reverse("reporting:line-delete", args=[7, 8])


def test_a_row_holds_what_the_page_shows(report):
    district = Location.objects.get(code="150132")
    line = LineFactory(report=report, location=district, girls=1200, boys=0, women=0,
                       men=0, other_adults=0, new_beneficiaries=1200, total_monthly=1500,
                       description="x" * 130)
    with override("es"):
        (row,) = line_rows(list(report.lines.with_related()), report_pk=report.pk)
    assert (row.number, row.girls, row.total) == (1, "1,200", "1,500")
    assert (row.department, row.province, row.place) == ("Lima", "Lima", district.name)
    assert row.population == "En destino" and row.edit_url.endswith(f"/lines/{line.pk}/")
    assert len(row.description_short) == 120 and row.description == "x" * 130
