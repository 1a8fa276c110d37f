"""R4V's quality rules at entry (issue 13 point 2): warnings beside our own rules, on the line
form, in the upload preview and on the review pages, never blocking a save."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reporting.forms import ActivityLineForm
from reporting.models import ActivityLine, Indicator, IndicatorType, MonthlyReport, ReportStatus
from reporting.regional.rules import RULES

from .factories import LineFactory
from .test_line_rules import form_data
from .test_upload_views import batch_of, csv_bytes, row, upload


def new_zero(language: str = "en") -> str:
    """R4V's warning on a Direct Assistance line without new people (a request leaves its own
    language active, so the language is named)."""
    with translation.override(language):
        return str(RULES["direct_new_not_positive"][1])


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def plain(text: str) -> str:
    """The page's words without its tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))


@pytest.fixture
def direct_indicator(db):
    indicator = Indicator.objects.get(code="PRO-01")
    assert indicator.type == IndicatorType.DIRECT_ASSISTANCE
    return indicator


def people_zero() -> dict:
    """A line that only reached people already counted this year: new beneficiaries 0."""
    return dict(girls=0, boys=0, women=0, men=0, other_under_18=0, other_adults=0,
                new_beneficiaries=0, total_monthly=40)


# The line form -----------------------------------------------------------------------------


def test_a_line_with_only_r4v_warnings_saves_and_says_what_r4v_flags(
        client, alice, report, direct_indicator):
    client.force_login(alice)
    response = client.post(f"/reports/{report.pk}/lines/add/", form_data(**people_zero()),
                           follow=True)
    assert response.status_code == 200
    line = ActivityLine.objects.get(report=report)
    assert (line.new_beneficiaries, line.total_monthly) == (0, 40)
    text = page_text(response)
    assert "R4V's checks would flag this line" in text
    # The warning names the form's field, then says why.
    label = ActivityLineForm(report=report).fields["new_beneficiaries"].label
    assert f"{label}: {new_zero()}" in text
    # The edit page shows it again, in the warning box.
    edit = page_text(client.get(f"/reports/{report.pk}/lines/{line.pk}/"))
    assert 'id="r4v-warnings"' in edit and new_zero() in edit


def test_a_clean_line_has_no_r4v_warning(client, alice, report, direct_indicator):
    client.force_login(alice)
    response = client.post(f"/reports/{report.pk}/lines/add/", form_data(), follow=True)
    assert ActivityLine.objects.filter(report=report).count() == 1
    assert "R4V's checks would flag" not in page_text(response)


def test_a_line_breaking_our_rules_is_not_saved_and_shows_r4v_warnings_too(
        client, alice, report, direct_indicator):
    client.force_login(alice)
    # Our rule: total monthly below new beneficiaries. R4V's: the six figures don't add up.
    data = form_data(**{**people_zero(), "new_beneficiaries": 0, "total_monthly": "x"})
    response = client.post(f"/reports/{report.pk}/lines/add/", data)
    assert response.status_code == 200
    assert not ActivityLine.objects.filter(report=report).exists()
    text = page_text(response)
    assert "The line was not saved" in text
    assert 'id="r4v-warnings"' in text and new_zero() in text


def test_the_line_form_warning_in_spanish(client, alice, report, direct_indicator):
    line = LineFactory(report=report, indicator=direct_indicator, **people_zero())
    client.force_login(alice)
    expected = new_zero("es")
    client.cookies["django_language"] = "es"
    page = page_text(client.get(f"/reports/{report.pk}/lines/{line.pk}/"))
    assert expected != new_zero()  # translated
    assert expected in page


# The report page and the review page --------------------------------------------------------


def test_the_report_page_counts_the_flagged_lines(client, alice, report, direct_indicator):
    LineFactory(report=report, indicator=direct_indicator)
    flagged = LineFactory(report=report, indicator=direct_indicator, population_type="transit",
                          **people_zero())
    client.force_login(alice)
    text = page_text(client.get(f"/reports/{report.pk}/"))
    assert "R4V's checks would flag 1 line." in text
    assert f"({flagged.indicator.code})" in text and new_zero() in text


def review_page(client, report):
    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    return client.get(f"/admin/reporting/monthlyreport/{report.pk}/change/")


def test_the_review_page_counts_and_lists_the_flagged_lines(client, paula, report,
                                                            direct_indicator):
    LineFactory(report=report, indicator=direct_indicator)
    LineFactory(report=report, indicator=direct_indicator, population_type="transit",
                **people_zero())
    LineFactory(report=report, indicator=direct_indicator, population_type="host",
                **people_zero())
    client.force_login(paula)
    response = review_page(client, report)
    assert response.status_code == 200
    text = page_text(response)
    assert "R4V's checks would flag 2 lines." in text
    assert text.count(new_zero()) == 2


def test_the_review_page_makes_no_query_per_line(client, paula, report, direct_indicator):
    client.force_login(paula)
    LineFactory(report=report, indicator=direct_indicator, population_type="transit",
                **people_zero())
    review_page(client, report)  # warm the caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert review_page(client, report).status_code == 200
    for population in ("host", "pendular", "returnee", "destination"):
        LineFactory(report=report, indicator=direct_indicator, population_type=population,
                    **people_zero())
    with CaptureQueriesContext(connection) as many:
        response = review_page(client, report)
    assert "R4V's checks would flag 5 lines." in page_text(response)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries][len(few):]


# The upload preview ------------------------------------------------------------------------


def test_the_preview_shows_r4v_warnings_by_row_and_still_confirms(client, alice, report,
                                                                  direct_indicator):
    zero = dict(girls=0, boys=0, women=0, men=0, other_adults=0, new_beneficiaries=0,
                total_monthly=40)
    data = csv_bytes([row(), row(population_type="transit", **zero)])
    client.force_login(alice)
    batch = batch_of(upload(client, data))
    text = page_text(client.get(f"/imports/{batch.pk}/"))
    assert 'id="r4v-warnings"' in text
    assert f"Row 3 · New beneficiaries of the month: {new_zero()}" in plain(text)
    assert "Row 2 ·" not in text.split('id="r4v-warnings"')[1].split("<h2")[0]
    assert "Confirm: save the lines of 1 report" in text
    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    assert ActivityLine.objects.filter(report=report).count() == 2
