"""The history of a report and of a line in the admin: each change to a line as
"field: before → after", with the field's name, choices and figures in the reader's
language, never the codes or JSON the audit trail stores (issue 14, item 11)."""

from __future__ import annotations

import pytest
from django.test import Client

from reporting import services
from reporting.models import MonthlyReport, PopulationType, ReportStatus

READINGS = {
    "en": ["Population type: In destination → Host community", "Girls (0–17): 10 → 1,010",
           "RMRP activity: Yes → No", "Description: — → Job workshops"],
    "es": ["Tipo de población: En destino → Comunidad de acogida", "Niñas (0–17): 10 → 1,010",
           "Actividad del RMRP: Sí → No", "Descripción: — → Job workshops"],
}
# What the trail stores: field names, choice values, JSON, Python's booleans.
CODES = ["population_type", ": destination", "→ host", "rmrp_activity", "True", "False", "{",
         "1010"]


@pytest.fixture
def changed_line(report, line, alice):
    """Alice's line, changed through the partner's form (the service every path uses), in a
    report sent for review so that its coordinator sees it."""
    line.population_type = PopulationType.HOST
    line.girls += 1000
    line.new_beneficiaries += 1000
    line.total_monthly += 1000
    line.rmrp_activity = False
    line.description = "Job workshops"
    services.save_line(line=line, by=alice)
    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    return line


def history_text(person, url: str, language: str) -> str:
    client = Client()
    client.force_login(person)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    # Only what the audit trail adds: the rest of the page has codes of its own (CSS classes).
    return content[content.index('id="line-changes"'):]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("page", ["report", "line"])
def test_the_history_page_words_each_change_in_the_readers_language(
        page, language, changed_line, paula):
    url = {
        "report": f"/admin/reporting/monthlyreport/{changed_line.report_id}/history/",
        "line": f"/admin/reporting/activityline/{changed_line.pk}/history/",
    }[page]
    text = history_text(paula, url, language)
    for reading in READINGS[language]:
        assert reading in text
    for code in CODES:
        assert code not in text.split("</table>")[0].split("<tbody>")[1], code


def test_the_history_page_of_a_report_without_changes_says_so(report, line, ivan):
    text = history_text(ivan, f"/admin/reporting/monthlyreport/{report.pk}/history/", "en")
    assert "No changes yet." in text


def test_a_line_of_a_report_the_coordinator_does_not_review_has_no_history_page(
        changed_line, carl):
    client = Client()
    client.force_login(carl)
    response = client.get(f"/admin/reporting/activityline/{changed_line.pk}/history/")
    assert response.status_code in (302, 403, 404)
