"""The spreadsheet upload pages: form, preview, confirmation and the marked copy of the file.

Alice (HIAS reporter) uploads; Bob (Cáritas) must not see her uploads; Paula (a coordinator)
may not upload; Ivan (IM) may look at anyone's upload and upload for any organisation.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from reporting import workflow
from reporting.demo.hostile import padded_cells_workbook, padded_rows_workbook
from reporting.models import (
    ActivityLine,
    ImportBatch,
    ImportStatus,
    Indicator,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportStatus,
)
from reporting.sheets import marked_copy, planner, reading
from reporting.sheets.columns import COLUMNS, HEADERS
from reporting.sheets.replaced import replaced_lines

from .factories import LineFactory

ROW = {
    "month": "2023-09", "organisation": "HIAS", "sector": "PRO", "indicator": "PRO-01",
    "department": "15", "population_type": "destination", "modality": "service",
    "girls": 10, "boys": 12, "women": 30, "men": 25, "other_adults": 3,
    "new_beneficiaries": 80, "total_monthly": 100, "description": "Orientación legal",
}
ERROR_FILL = "FFFFC7CE"


def row(**changes) -> dict:
    return {**ROW, **changes}


def csv_bytes(rows: list[dict]) -> bytes:
    lines = [",".join(HEADERS)]
    for values in rows:
        lines.append(",".join(str(values.get(column.field, "")) for column in COLUMNS))
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[dict], *, notes_formula: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Activities"
    sheet.append(list(HEADERS))
    for values in rows:
        sheet.append([values.get(column.field) for column in COLUMNS])
    if notes_formula:
        workbook.create_sheet("Notes")["A1"] = notes_formula
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(client, data: bytes, name: str = "actividades.csv"):
    return client.post("/imports/", {"file": SimpleUploadedFile(name, data)})


def lines_of(report) -> list[tuple]:
    return list(
        ActivityLine.objects.filter(report=report)
        .order_by("indicator__code", "location__code")
        .values_list("indicator__code", "location__code", "population_type", "modality",
                     "girls", "boys", "women", "men", "other_under_18", "other_adults",
                     "other_unknown_age", "new_beneficiaries",
                     "total_monthly", "description")
    )


def batch_of(response) -> ImportBatch:
    assert response.status_code == 302, response.content[:500]
    return ImportBatch.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))


@pytest.fixture
def two_lines():
    return csv_bytes([row(), row(indicator="PRO-03", department="13")])


@pytest.fixture
def bad_row():
    # Row 3 names a department that does not exist.
    return csv_bytes([row(), row(indicator="PRO-03", department="99")])


# The form ----------------------------------------------------------------------------------


def test_it_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/imports/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/") or "login" in response.url


def test_it_forbids_coordinators(client, paula, period):
    client.force_login(paula)
    assert client.get("/imports/").status_code == 403
    assert upload(client, csv_bytes([row()])).status_code == 403
    assert not ImportBatch.objects.exists()


def test_it_shows_a_partner_the_templates_of_their_organisation(client, alice, period):
    client.force_login(alice)
    response = client.get("/imports/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'accept=".xlsx,.csv"' in page
    assert "/imports/template/?organisation=HIAS&amp;period=2023-09" in page
    assert "/imports/template/?organisation=HIAS&amp;period=2023-09&amp;prefill=1" in page


def test_it_asks_an_im_officer_for_the_organisation(client, ivan, period):
    client.force_login(ivan)
    response = client.get("/imports/")
    assert response.status_code == 200
    assert '<select id="template-organisation" name="organisation"' in response.content.decode()
    assert 'value="HIAS"' in response.content.decode()


def test_it_lists_the_users_recent_uploads(client, alice, bob, period, two_lines):
    client.force_login(bob)
    upload(client, two_lines, "bobs-file.csv")
    client.force_login(alice)
    upload(client, two_lines, "alices-file.csv")
    page = client.get("/imports/").content.decode()
    assert "alices-file.csv" in page
    assert "bobs-file.csv" not in page


def test_it_refuses_a_file_above_the_cap_without_reading_it(client, alice, period, settings,
                                                            monkeypatch):
    settings.IMPORT_MAX_BYTES = 200
    monkeypatch.setattr(reading, "read_table", pytest.fail)
    client.force_login(alice)
    response = upload(client, csv_bytes([row()] * 5))
    assert response.status_code == 400
    assert "files up to 200" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_it_checks_the_size_before_reading_when_the_file_got_through(client, alice, period,
                                                                     settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 200
    # Without the streaming cap, the stored file's size is the guard: it is never read.
    monkeypatch.setattr("reporting.sheets.views.uploads.SizeCapHandler.receive_data_chunk",
                        lambda self, raw_data, start: raw_data)
    monkeypatch.setattr(InMemoryUploadedFile, "read", pytest.fail)
    client.force_login(alice)
    sent = io.BytesIO(csv_bytes([row()] * 5))
    sent.name = "actividades.csv"
    response = client.post("/imports/", {"file": sent})
    assert response.status_code == 400
    assert "files up to 200" in response.content.decode()


def test_it_shows_why_a_file_is_rejected(client, alice, period):
    data = b"Mes,Organizacion,Sector\n2023-09,HIAS,PRO\n"
    with pytest.raises(reading.FileRejected) as rejected:
        reading.read_table(data, "actividades.csv")
    client.force_login(alice)
    response = upload(client, data)
    assert response.status_code == 400
    assert html.escape(rejected.value.message) in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_it_asks_for_a_file(client, alice, period):
    client.force_login(alice)
    response = client.post("/imports/", {})
    assert response.status_code == 400
    assert "Choose an XLSX or CSV file" in response.content.decode()


# Preview and confirmation ------------------------------------------------------------------


def test_a_partner_previews_and_saves_a_valid_csv(client, alice, report, line, protection,
                                                  two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines, r"C:\Users\alice\actividades.csv"))
    assert batch.filename == "actividades.csv"
    assert batch.status == ImportStatus.PREVIEWED
    assert batch.summary == {"rows": 2, "reports": 1, "lines": 2, "replaced": 1, "errors": 0}

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert protection.name in page
    assert "HIAS" in page
    assert "1 line now → 2 after" in page
    assert "PRO-01" in page and "PRO-03" in page
    assert f'action="/imports/{batch.pk}/confirm/"' in page
    assert f"/imports/{batch.pk}/errors.xlsx" not in page

    response = client.post(f"/imports/{batch.pk}/confirm/", follow=True)
    assert response.redirect_chain[-1][0] == f"/imports/{batch.pk}/"
    assert "Saved 2 lines in HIAS" in response.content.decode()
    assert f'href="/reports/{report.pk}/"' in response.content.decode()
    assert [code for code, *_ in lines_of(report)] == ["PRO-01", "PRO-03"]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert batch.applied_at is not None
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_the_same_file_twice_leaves_the_same_data(client, alice, report, two_lines):
    client.force_login(alice)
    first = batch_of(upload(client, two_lines))
    client.post(f"/imports/{first.pk}/confirm/")
    saved = lines_of(report)
    assert len(saved) == 2

    second = batch_of(upload(client, two_lines))
    assert "2 lines now → 2 after" in client.get(f"/imports/{second.pk}/").content.decode()
    client.post(f"/imports/{second.pk}/confirm/")
    assert lines_of(report) == saved
    assert MonthlyReport.objects.filter(organisation=report.organisation).count() == 1


def test_a_new_report_is_created_by_the_upload(client, alice, period, org_a, protection,
                                               two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    assert "New report" in client.get(f"/imports/{batch.pk}/").content.decode()
    client.post(f"/imports/{batch.pk}/confirm/")
    report = MonthlyReport.objects.get(organisation=org_a, sector=protection, period=period)
    assert report.status == ReportStatus.DRAFT
    assert len(lines_of(report)) == 2


def test_a_second_confirmation_changes_nothing(client, alice, report, two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    client.post(f"/imports/{batch.pk}/confirm/")
    saved = lines_of(report)
    ActivityLine.objects.filter(report=report, indicator__code="PRO-03").update(description="edited")

    response = client.post(f"/imports/{batch.pk}/confirm/", follow=True)
    assert "already saved" in response.content.decode()
    assert lines_of(report) != saved  # the edit made after saving stands
    assert ActivityLine.objects.filter(report=report, description="edited").count() == 1


def test_a_bad_row_is_pointed_to_and_nothing_is_saved(client, alice, report, line, bad_row):
    client.force_login(alice)
    before = lines_of(report)
    batch = batch_of(upload(client, bad_row))
    assert batch.status == ImportStatus.REJECTED
    assert batch.summary["errors"] == 1

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<td class="num fw-semibold">3</td>' in page
    assert '<span class="fw-semibold">F</span> Department' in page
    assert "<code>99</code>" in page
    assert "is not a department of Peru" in page
    assert f"/imports/{batch.pk}/confirm/" not in page
    assert f"/imports/{batch.pk}/errors.xlsx" in page

    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 409
    assert "Nothing was saved" in response.content.decode()
    assert lines_of(report) == before


def test_a_report_submitted_before_the_confirmation_stops_it(client, alice, report, line,
                                                             two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    workflow.submit_report(report=report, by=alice)
    before = lines_of(report)

    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "is submitted" in page
    assert lines_of(report) == before
    batch.refresh_from_db()
    assert batch.status == ImportStatus.REJECTED


def test_an_im_officer_uploads_for_any_organisation(client, ivan, report, two_lines):
    client.force_login(ivan)
    batch = batch_of(upload(client, two_lines))
    assert batch.status == ImportStatus.PREVIEWED, batch.summary
    client.post(f"/imports/{batch.pk}/confirm/")
    assert len(lines_of(report)) == 2


def test_the_preview_runs_the_same_queries_for_10_and_100_lines(client, alice, report):
    departments = list(Location.objects.departments().order_by("code").values_list("code", flat=True))
    indicators = ["PRO-01", "PRO-02", "PRO-03", "PRO-04", "PRO-06"]  # service
    files = {
        count: csv_bytes([
            row(indicator=indicators[n % 5], department=departments[n // 5])
            for n in range(count)
        ])
        for count in (10, 100)
    }
    client.force_login(alice)
    queries = {}
    for count, data in files.items():
        batch = batch_of(upload(client, data))
        client.get(f"/imports/{batch.pk}/")  # settle the status once
        with CaptureQueriesContext(connection) as context:
            response = client.get(f"/imports/{batch.pk}/")
        assert response.status_code == 200
        assert batch.summary["lines"] == count
        queries[count] = len(context.captured_queries)
    assert queries[10] == queries[100]


def test_the_preview_works_in_spanish(client, alice, report, bad_row):
    client.force_login(alice)
    batch = batch_of(upload(client, bad_row))
    response = client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()


# What the upload replaces --------------------------------------------------------------------


@pytest.fixture
def typed(report, alice):
    """Three lines typed in the web form: one the file repeats, one it changes, one it lacks."""
    lima, tumbes = Location.objects.get(code="15"), Location.objects.get(code="24")
    return {
        "same": LineFactory(report=report, description="Orientación legal"),
        "changed": LineFactory(report=report, indicator=Indicator.objects.get(code="PRO-03"),
                               department=Location.objects.get(code="13"), girls=1, boys=1,
                               women=1, men=1, other_adults=1, total_monthly=9),
        "removed": LineFactory(report=report, indicator=Indicator.objects.get(code="PRO-02"),
                               department=tumbes, location=tumbes,
                               population_type=PopulationType.TRANSIT,
                               modality=Modality.IN_KIND, girls=4, boys=5, women=6, men=7,
                               other_adults=0, total_monthly=44),
        "lima": lima,
    }


def test_the_preview_lists_the_lines_the_upload_replaces(client, alice, report, typed,
                                                         two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    page = page_text(client.get(f"/imports/{batch.pk}/"))

    assert "3 lines now → 2 after" in page
    assert "The 3 lines it has now, which your file replaces:" in page
    assert "1 not in your file, removed" in page and "1 changed" in page and "1 the same" in page
    assert ("1 line the reports have now is not in your file: confirming removes it. It is "
            "marked below.") in page
    # The removed line, as the table shows it: outcome, indicator, place, population,
    # modality, partner, the six figures, new, total.
    row = re.search(r'<tr class="table-danger">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:14] == ["Not in it: removed", "PRO-02", "Tumbes", "In transit", "In kind",
                          "—", "4", "5", "6", "7", "0", "0", "22", "44"]
    assert page.count("Not in it: removed") == 2  # the phone's list and the table
    assert page.count(">Changed<") == 2 and page.count(">The same<") == 2


def test_the_same_file_twice_replaces_every_line_with_itself(client, alice, report, two_lines):
    client.force_login(alice)
    client.post(f"/imports/{batch_of(upload(client, two_lines)).pk}/confirm/")
    batch = batch_of(upload(client, two_lines))
    page = page_text(client.get(f"/imports/{batch.pk}/"))
    assert "The 2 lines it has now, which your file replaces:" in page
    assert "2 the same" in page
    assert "not in your file" not in page and ">Changed<" not in page


def test_replaced_lines_compares_each_line_with_the_files(alice, report, typed, two_lines):
    plan = planner.plan_import(reading.read_table(two_lines, "a.csv"), user=alice)
    replaced = replaced_lines(plan, shown=2)[report.pk]
    assert (replaced.same, replaced.changed, replaced.removed, replaced.hidden) == (1, 1, 1, 1)
    assert [(line["pk"], line.outcome) for line in replaced.lines] == [
        (typed["same"].pk, "same"), (typed["changed"].pk, "changed")]
    assert replaced.lines[1].place == Location.objects.get(code="13").name
    assert replaced.lines[0].indicator_name == typed["same"].indicator.name_en


def test_a_new_report_replaces_nothing(alice, period, org_a, protection, two_lines):
    plan = planner.plan_import(reading.read_table(two_lines, "a.csv"), user=alice)
    assert replaced_lines(plan, shown=50) == {}


def test_the_preview_runs_the_same_queries_for_10_and_100_replaced_lines(client, alice,
                                                                         report):
    departments = list(Location.objects.departments().order_by("code"))
    indicators = list(Indicator.objects.filter(code__in=[
        "PRO-01", "PRO-02", "PRO-03", "PRO-04", "PRO-05"]))
    client.force_login(alice)
    data = csv_bytes([row()])
    queries = []
    for count in (10, 100):
        ActivityLine.objects.filter(report=report).delete()
        for n in range(count):
            LineFactory(report=report, indicator=indicators[n % 5], department=departments[n // 5])
        batch = batch_of(upload(client, data))
        client.get(f"/imports/{batch.pk}/")
        with CaptureQueriesContext(connection) as context:
            page = page_text(client.get(f"/imports/{batch.pk}/"))
        assert f"The {count} lines it has now, which your file replaces:" in page
        queries.append(len(context.captured_queries))
    assert queries[0] == queries[1]


def test_the_replaced_lines_are_listed_in_spanish(client, alice, report, typed, two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    page = page_text(client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "Las 3 líneas que tiene ahora, que su archivo reemplaza:" in page
    assert "1 no está en su archivo, se elimina" in page
    assert "No está: se elimina" in page and "En tránsito" in page


# Submitting what an upload filled ---------------------------------------------------------


@pytest.fixture
def two_reports():
    """Rows for HIAS's Protection and Health reports of September 2023."""
    return csv_bytes([row(), row(indicator="PRO-03", department="13"),
                      row(sector="HEA", indicator="HEA-01", description="Consultas")])


def confirmed(client, data: bytes) -> ImportBatch:
    batch = batch_of(upload(client, data))
    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302 and response.url == f"/imports/{batch.pk}/"
    batch.refresh_from_db()
    return batch


def filled(batch: ImportBatch) -> dict[str, MonthlyReport]:
    return {report.sector.code: report for report in
            MonthlyReport.objects.filter(pk__in=batch.summary["report_ids"])
            .select_related("sector")}


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_confirmation_page_offers_to_submit_every_report_the_upload_filled(
    client, alice, report, line, two_reports
):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    reports = filled(batch)
    assert set(reports) == {"PRO", "HEA"} and reports["PRO"] == report

    response = client.get(f"/imports/{batch.pk}/")
    page = page_text(response)
    assert page.count("Ready to submit") == 2
    assert "Submit the 2 reports ready for review" in page
    assert f'action="/imports/{batch.pk}/submit/"' in page

    response = client.post(f"/imports/{batch.pk}/submit/", follow=True)
    assert response.redirect_chain == [(f"/imports/{batch.pk}/", 302)]
    page = page_text(response)
    assert ("Submitted 2 reports for review: HIAS · Health · September 2023; "
            "HIAS · Protection · September 2023.") in page
    for each in reports.values():
        each.refresh_from_db()
        assert each.status == ReportStatus.SUBMITTED and each.submitted_by == alice
        event = each.events.get()
        assert (event.action, event.from_status, event.by) == ("submit", "draft", alice)
    assert "Ready to submit" not in page and "ready for review" not in page
    assert "No report of this upload is waiting to be submitted by you." in page


def test_reports_that_cannot_be_submitted_are_listed_with_the_reason(
    client, alice, ivan, report, period, two_reports
):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    reports = filled(batch)
    # The Health report lost its lines since the upload; Protection is still ready.
    ActivityLine.objects.filter(report=reports["HEA"]).delete()
    empty = ("Add at least one activity line, or declare that there were no activities this "
             "month.")

    page = page_text(client.get(f"/imports/{batch.pk}/"))
    assert page.count("Ready to submit") == 1
    assert empty in page
    assert "Submit the 1 report ready for review" in page

    response = client.post(f"/imports/{batch.pk}/submit/", follow=True)
    page = page_text(response)
    assert "Submitted 1 report for review: HIAS · Protection · September 2023." in page
    assert f"Not submitted: HIAS · Health · September 2023. {empty}" in page
    statuses = dict(MonthlyReport.objects.filter(pk__in=batch.summary["report_ids"])
                    .values_list("sector__code", "status"))
    assert statuses == {"PRO": ReportStatus.SUBMITTED, "HEA": ReportStatus.DRAFT}


def test_a_locked_month_is_the_reason_nothing_is_submitted(client, alice, ivan, report,
                                                           period, two_reports):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    workflow.lock_period(period=period, by=ivan)
    locked = "The period September 2023 is locked: nothing in it can change until it is unlocked."

    page = page_text(client.get(f"/imports/{batch.pk}/"))
    assert page.count(locked) == 2
    assert "ready for review" not in page
    assert "No report of this upload is waiting to be submitted by you." in page

    page = page_text(client.post(f"/imports/{batch.pk}/submit/", follow=True))
    assert page.count(locked) >= 2  # in the messages and beside each report
    assert not MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED).exists()


def test_a_report_submitted_from_its_page_is_left_alone(client, alice, report, two_reports):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    reports = filled(batch)
    workflow.submit_report(report=reports["PRO"], by=alice)

    assert "Submit the 1 report ready for review" in page_text(client.get(f"/imports/{batch.pk}/"))
    page = page_text(client.post(f"/imports/{batch.pk}/submit/", follow=True))
    assert "Submitted 1 report for review: HIAS · Health · September 2023." in page
    assert "Not submitted" not in page
    assert reports["PRO"].events.count() == 1


def test_submitting_twice_submits_once(client, alice, report, two_reports):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    client.post(f"/imports/{batch.pk}/submit/")
    response = client.post(f"/imports/{batch.pk}/submit/", follow=True)
    assert ("Nothing left to submit: every report this upload filled is submitted or reviewed."
            in page_text(response))
    for each in filled(batch).values():
        assert each.events.count() == 1


def test_an_im_officer_uploading_for_a_partner_is_told_the_partner_submits(
    client, ivan, report, two_reports
):
    client.force_login(ivan)
    batch = confirmed(client, two_reports)
    only = "Only HIAS's reporters may change this report."

    page = page_text(client.get(f"/imports/{batch.pk}/"))
    assert page.count(only) == 2
    assert f"/imports/{batch.pk}/submit/" not in page

    page = page_text(client.post(f"/imports/{batch.pk}/submit/", follow=True))
    assert f"Not submitted: HIAS · Protection · September 2023. {only}" in page
    assert not MonthlyReport.objects.exclude(status=ReportStatus.DRAFT).exists()


def test_only_the_uploader_may_submit_an_upload(client, alice, fiona, bob, ivan, report,
                                                two_reports):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    for other in (fiona, bob, ivan):
        client.force_login(other)
        assert client.post(f"/imports/{batch.pk}/submit/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/imports/{batch.pk}/submit/").status_code == 405
    assert not MonthlyReport.objects.exclude(status=ReportStatus.DRAFT).exists()


def test_an_upload_not_saved_has_nothing_to_submit(client, alice, report, two_reports):
    client.force_login(alice)
    batch = batch_of(upload(client, two_reports))
    response = client.post(f"/imports/{batch.pk}/submit/", follow=True)
    assert "Nothing left to submit" in page_text(response)
    assert f"/imports/{batch.pk}/submit/" not in page_text(client.get(f"/imports/{batch.pk}/"))


def test_the_saved_page_runs_the_same_queries_for_one_and_three_reports(client, alice, period):
    client.force_login(alice)
    one = confirmed(client, csv_bytes([row()]))
    three = confirmed(client, csv_bytes([
        row(), row(sector="HEA", indicator="HEA-01"), row(month="2023-09", sector="EDU",
                                                          indicator="EDU-01")]))
    assert three.summary["reports"] == 3, three.summary
    counts = []
    for batch in (one, three):
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/imports/{batch.pk}/").status_code == 200
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]


def test_the_saved_page_works_in_spanish(client, alice, report, two_reports):
    client.force_login(alice)
    batch = confirmed(client, two_reports)
    response = client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    page = page_text(response)
    assert '<html lang="es">' in page
    assert "Enviar los 2 reportes listos para revisión" in page
    assert page.count("Listo para enviar") == 2


# Who sees what -----------------------------------------------------------------------------


def test_another_partner_gets_404(client, alice, bob, report, bad_row):
    client.force_login(alice)
    batch = batch_of(upload(client, bad_row))
    client.force_login(bob)
    assert client.get(f"/imports/{batch.pk}/").status_code == 404
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/errors.xlsx").status_code == 404


def test_an_im_officer_sees_an_upload_but_cannot_confirm_it(client, alice, ivan, report, two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    client.force_login(ivan)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "by " in page
    assert f"/imports/{batch.pk}/confirm/" not in page
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 404
    assert not ActivityLine.objects.filter(report=report).exists()


def test_confirm_rejects_get(client, alice, report, two_lines):
    client.force_login(alice)
    batch = batch_of(upload(client, two_lines))
    assert client.get(f"/imports/{batch.pk}/confirm/").status_code == 405


# The marked copy ---------------------------------------------------------------------------


def test_the_error_workbook_marks_the_bad_cell_of_a_csv(client, alice, report, bad_row):
    client.force_login(alice)
    batch = batch_of(upload(client, bad_row))
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 200
    assert 'filename="actividades-errors.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:6] == list(HEADERS[:6])
    cell = sheet["F3"]
    assert cell.value == "99"
    assert cell.fill.fgColor.rgb == ERROR_FILL
    assert "is not a department of Peru" in cell.comment.text
    assert sheet["F2"].comment is None
    errors = workbook["Errors"]
    assert [c.value for c in errors[2]][:3] == [3, "F", "Department"]


def test_the_error_workbook_marks_the_bad_cell_of_an_xlsx(client, alice, report):
    data = xlsx_bytes([row(), row(indicator="PRO-03", department="99")], notes_formula="=1+1")
    client.force_login(alice)
    batch = batch_of(upload(client, data, "actividades.xlsx"))
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Activities", "Notes", "Errors"]
    sheet = workbook["Activities"]
    assert sheet["F3"].fill.fgColor.rgb == ERROR_FILL
    assert "is not a department of Peru" in sheet["F3"].comment.text
    assert sheet["F2"].comment is None
    assert workbook["Notes"]["A1"].value == "=1+1"  # formulas stay formulas


def test_a_corrected_error_workbook_uploads_cleanly(client, alice, report):
    client.force_login(alice)
    batch = batch_of(upload(client, xlsx_bytes([row(), row(department="99")]), "a.xlsx"))
    marked = load_workbook(io.BytesIO(client.get(f"/imports/{batch.pk}/errors.xlsx").content))
    marked["Activities"]["F3"] = "13"
    output = io.BytesIO()
    marked.save(output)

    fixed = batch_of(upload(client, output.getvalue(), "a-errors.xlsx"))
    assert fixed.status == ImportStatus.PREVIEWED, fixed.summary


# Hostile workbooks never cost a worker more than a few seconds --------------------------------


@pytest.fixture
def never_loaded_whole(monkeypatch):
    """openpyxl's full mode, which builds every cell in memory, must not be reached."""
    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook was loaded whole")

    monkeypatch.setattr(marked_copy, "load_workbook", load_workbook)


def test_a_workbook_of_a_million_formatted_rows_is_refused_at_upload(client, alice, report,
                                                                      never_loaded_whole):
    client.force_login(alice)
    response = upload(client, padded_rows_workbook(rows=1_000_000), "actividades.xlsx")

    assert response.status_code == 400
    assert "“Activities” has about 1,000,002 rows" in html.unescape(response.content.decode())
    assert not ImportBatch.objects.exists()


def test_an_oversized_upload_stored_before_the_limits_gets_no_marked_copy(client, alice, report,
                                                                         never_loaded_whole):
    # Kept from before the limits existed: every look at it measures it again first.
    data = padded_cells_workbook(rows=2000, columns=2000)
    batch = ImportBatch.objects.create(uploaded_by=alice, filename="a.xlsx", content=data,
                                       size=len(data), sha256="0" * 64,
                                       status=ImportStatus.REJECTED)
    client.force_login(alice)

    response = client.get(f"/imports/{batch.pk}/errors.xlsx", follow=True)

    assert response.redirect_chain == [(f"/imports/{batch.pk}/", 302)]
    assert "“Other” holds about 4,000,000 cells" in html.unescape(response.content.decode())


def test_a_workbook_too_large_to_load_whole_gets_a_copy_of_its_values_marked(
        client, alice, report, monkeypatch, never_loaded_whole):
    monkeypatch.setattr(marked_copy, "FULL_LOAD_MAX_CELLS", 10)
    data = xlsx_bytes([row(), row(indicator="PRO-03", department="99")], notes_formula="=1+1")
    client.force_login(alice)
    batch = batch_of(upload(client, data, "actividades.xlsx"))

    response = client.get(f"/imports/{batch.pk}/errors.xlsx")

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Activities", "Errors"]
    sheet = workbook["Activities"]
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    assert sheet["F3"].value == "99"
    assert sheet["F3"].fill.fgColor.rgb == ERROR_FILL
    assert "is not a department of Peru" in sheet["F3"].comment.text
    assert sheet["F2"].comment is None
    assert sheet["R2"].value == 80  # New beneficiaries
    errors = workbook["Errors"]
    assert [cell.value for cell in errors[2]][:3] == [3, "F", "Department"]
    assert "too large to be copied whole" in errors["A4"].value


def test_the_marked_copy_keeps_row_numbers_across_blank_rows(client, alice, report, monkeypatch):
    monkeypatch.setattr(marked_copy, "FULL_LOAD_MAX_CELLS", 10)
    data = xlsx_bytes([row(), {}, {}, row(indicator="PRO-03", department="99")])
    client.force_login(alice)
    batch = batch_of(upload(client, data, "actividades.xlsx"))

    sheet = load_workbook(io.BytesIO(client.get(f"/imports/{batch.pk}/errors.xlsx").content))[
        "Activities"]

    assert sheet["F5"].value == "99"
    assert sheet["F5"].comment is not None
    assert sheet["A3"].value is None


def test_past_the_comment_limit_cells_are_filled_and_the_errors_sheet_says_so(
        client, alice, report, monkeypatch):
    monkeypatch.setattr(marked_copy, "MAX_COMMENTS", 1)
    data = xlsx_bytes([row(department="98"), row(indicator="PRO-03", department="99")])
    client.force_login(alice)
    batch = batch_of(upload(client, data, "actividades.xlsx"))

    workbook = load_workbook(io.BytesIO(client.get(f"/imports/{batch.pk}/errors.xlsx").content))

    sheet = workbook["Activities"]
    assert sheet["F2"].comment is not None and sheet["F3"].comment is None
    assert sheet["F3"].fill.fgColor.rgb == ERROR_FILL
    errors = [[cell.value for cell in line] for line in workbook["Errors"].iter_rows()]
    assert errors[1][4] == ("2 cells are marked red; the first 1 carry the reason as a comment. "
                            "Every error is listed below.")
    assert [line[:2] for line in errors[2:]] == [[2, "F"], [3, "F"]]


def test_the_upload_form_keeps_its_csrf_check(alice, period, two_lines):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert upload(client, two_lines).status_code == 403
    assert not ImportBatch.objects.exists()


# Hostile values never cost a server error ---------------------------------------------------


@pytest.mark.parametrize(("changes", "column"), [
    ({"girls": "9" * 5000}, "Girls"),
    ({"month": "0000-01"}, "Month"),
    ({"month": "9999-12"}, "Month"),
])
def test_an_absurd_value_is_a_row_error_not_a_crash(client, alice, report, changes, column):
    client.force_login(alice)
    batch = batch_of(upload(client, csv_bytes([row(**changes)])))
    page = client.get(f"/imports/{batch.pk}/")
    assert page.status_code == 200
    assert batch.status == ImportStatus.REJECTED
    assert column in page.content.decode()


def test_the_marked_copy_of_a_csv_drops_control_characters(client, alice, report):
    client.force_login(alice)
    data = csv_bytes([row(description="línea\x0buno"), row(indicator="PRO-03", department="99")])
    batch = batch_of(upload(client, data))
    response = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert "líneauno" in [cell.value for cell in sheet[2]]
