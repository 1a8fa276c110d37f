"""The monthly loop of the demo, scripted with the test client as the demo accounts would walk
it in a browser: report, return, fix, approve, reopen, lock — in Spanish and in English."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from reporting.models import (
    ActivityLine,
    Indicator,
    MonthlyReport,
    ReportingPeriod,
    ReportStatus,
)


def sign_in(username: str, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    page = client.get("/", follow=True)
    assert 'name="password"' in page.content.decode()
    response = client.post(
        "/accounts/login/?next=/", {"username": username, "password": "demo", "next": "/"}
    )
    assert response.status_code == 302 and response.url == "/", username
    return client


def line_data(**overrides) -> dict:
    data = {
        "indicator": Indicator.objects.get(code="PRO-02").pk,
        "department": "15", "province": "1501", "district": "150132",
        "population_type": "destination", "modality": "service", "implementing_partner": "",
        "girls": 4, "boys": 6, "women": 40, "men": 30, "other_under_18": 0, "other_adults": 0,
        "new_beneficiaries": 80, "total_monthly": 110,
        "quantity": "", "cash_usd": "", "description": "Regularización migratoria (CPP)",
    }
    data.update(overrides)
    return data


def admin_action(client: Client, action: str, report: MonthlyReport, **extra):
    return client.post(
        "/admin/reporting/monthlyreport/",
        {"action": action, "_selected_action": [report.pk], **extra},
        follow=True,
    )


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_monthly_loop_works_end_to_end(language, db):
    call_command("demo_data", stdout=io.StringIO())
    september = ReportingPeriod.objects.get(month__year=2023, month__month=9)
    report = MonthlyReport.objects.get(
        organisation__acronym="HIAS", sector__code="PRO", period=september
    )

    # 1. reporter.hias opens HIAS's September Protection report from the home page.
    hias = sign_in("reporter.hias", language)
    home = hias.get("/").content.decode()
    assert f'lang="{language}"' in home
    assert f'href="/reports/{report.pk}/"' in home
    assert hias.get(f"/reports/{report.pk}/").status_code == 200

    # A line whose figures do not add up is refused with a message on the field; nothing saved.
    page = hias.post(f"/reports/{report.pk}/lines/add/", line_data(new_beneficiaries=81))
    assert page.status_code == 200
    assert 'id="error_1_id_new_beneficiaries"' in page.content.decode()
    assert not report.lines.exists()

    # Two good lines, then the draft is submitted.
    response = hias.post(f"/reports/{report.pk}/lines/add/", line_data())
    assert response.status_code == 302
    hias.post(
        f"/reports/{report.pk}/lines/add/",
        line_data(department="24", province="", district="", population_type="transit",
                  girls=10, boys=10, women=20, men=15, other_adults=0, new_beneficiaries=55,
                  total_monthly=55, description="Orientación en CEBAF Tumbes"),
    )
    assert report.lines.count() == 2
    assert ActivityLine.objects.filter(report=report, location__code="150132").exists()
    hias.post(f"/reports/{report.pk}/submit/")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # 2. coord.protection sees only Protection's reports in the admin and returns this one.
    coordinator = sign_in("coord.protection", language)
    queue = coordinator.get("/admin/reporting/monthlyreport/?status=submitted")
    assert queue.status_code == 200
    listed = set(queue.context["cl"].result_list.values_list("sector__code", flat=True))
    assert listed == {"PRO"}
    assert report in queue.context["cl"].result_list
    assert coordinator.get(f"/admin/reporting/monthlyreport/{report.pk}/change/").status_code == 200
    coordinator.post(
        f"/admin/reporting/monthlyreport/{report.pk}/review/",
        {"action": "return", "reason": "Falta desagregar Tumbes por provincia."},
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED

    # 3. The reporter reads the reason, fixes a line and resubmits; the coordinator approves.
    detail = hias.get(f"/reports/{report.pk}/").content.decode()
    assert "Falta desagregar Tumbes por provincia." in detail
    tumbes = report.lines.get(department__code="24")
    hias.post(
        f"/reports/{report.pk}/lines/{tumbes.pk}/",
        line_data(department="24", province="2401", district="", population_type="transit",
                  girls=10, boys=10, women=20, men=15, other_adults=0, new_beneficiaries=55,
                  total_monthly=60, description="Orientación en CEBAF Tumbes"),
    )
    tumbes.refresh_from_db()
    assert (tumbes.location.code, tumbes.total_monthly) == ("2401", 60)
    hias.post(f"/reports/{report.pk}/submit/")
    admin_action(coordinator, "approve_selected", report)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED

    # The approved report is read-only for the partner.
    detail = hias.get(f"/reports/{report.pk}/").content.decode()
    assert f"/reports/{report.pk}/lines/add/" not in detail
    assert f"/reports/{report.pk}/submit/" not in detail
    hias.post(f"/reports/{report.pk}/lines/{tumbes.pk}/delete/")
    hias.post(f"/reports/{report.pk}/lines/{tumbes.pk}/", line_data(total_monthly=999))
    assert report.lines.count() == 2
    assert not report.lines.filter(total_monthly=999).exists()

    # 4. im reopens it with a reason; the history shows every step with who, when and why.
    im = sign_in("im", language)
    im.post(
        f"/admin/reporting/monthlyreport/{report.pk}/review/",
        {"action": "reopen", "reason": "Duplicado con el reporte de ACNUR en Tumbes."},
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.REOPENED
    detail = hias.get(f"/reports/{report.pk}/").content.decode()
    history = detail[detail.index('class="list-unstyled history"'):]
    names = re.findall(r'<span class="fw-semibold">([^<]+)</span>', history)
    assert names[:5] == [
        "Daniela Rojas", "Miguel Urquía", "Daniela Rojas", "Miguel Urquía", "Paola Lazcano"
    ]
    assert "Falta desagregar Tumbes por provincia." in history
    assert "Duplicado con el reporte de ACNUR en Tumbes." in history
    assert list(report.events.values_list("action", flat=True)) == [
        "submit", "return", "submit", "approve", "reopen"
    ]

    # im locks September: nobody can change its reports until it is unlocked with a reason.
    im.post(
        "/admin/reporting/reportingperiod/",
        {"action": "lock_selected", "_selected_action": [september.pk], "apply": "1",
         "reason": "Cierre de septiembre"},
    )
    september.refresh_from_db()
    assert september.is_locked
    response = hias.post(f"/reports/{report.pk}/lines/add/", line_data(population_type="host"))
    assert response.status_code == 302
    assert report.lines.count() == 2
    hias.post(f"/reports/{report.pk}/submit/")
    report.refresh_from_db()
    assert report.status == ReportStatus.REOPENED
    admin_action(im, "reopen_selected", report, apply="1", reason="again")
    im.post(
        "/admin/reporting/reportingperiod/",
        {"action": "unlock_selected", "_selected_action": [september.pk], "apply": "1",
         "reason": ""},
    )
    september.refresh_from_db()
    assert september.is_locked  # no reason, no unlock
    im.post(
        "/admin/reporting/reportingperiod/",
        {"action": "unlock_selected", "_selected_action": [september.pk], "apply": "1",
         "reason": "Corrección solicitada por HIAS"},
    )
    september.refresh_from_db()
    assert not september.is_locked
    hias.post(f"/reports/{report.pk}/submit/")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # 5. reporter.caritas can neither see nor guess HIAS's report.
    caritas = sign_in("reporter.caritas", language)
    line = report.lines.first()
    for url in (
        f"/reports/{report.pk}/",
        f"/reports/{report.pk}/lines/add/",
        f"/reports/{report.pk}/lines/{line.pk}/",
        f"/reports/{report.pk}/lines/{line.pk}/delete/",
        f"/admin/reporting/monthlyreport/{report.pk}/change/",
        "/admin/",
    ):
        response = caritas.get(url)
        assert response.status_code == 404, url
        assert "Regularización migratoria" not in response.content.decode()
    for url in (f"/reports/{report.pk}/submit/", f"/reports/{report.pk}/withdraw/",
                f"/reports/{report.pk}/nil/"):
        assert caritas.post(url).status_code == 404, url
    assert f"/reports/{report.pk}/" not in caritas.get("/reports/").content.decode()


def test_a_nil_note_that_is_too_long_is_refused_with_a_message(client, report, alice):
    client.force_login(alice)
    response = client.post(f"/reports/{report.pk}/nil/", {"note": "x" * 501}, follow=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and not report.is_nil
    assert "at most 500 characters" in " ".join(str(m) for m in response.context["messages"])


def test_a_nil_report_asks_for_confirmation_first_and_changes_nothing_until_confirmed(
    client, report, alice
):
    client.force_login(alice)
    response = client.post(f"/reports/{report.pk}/nil/", {"note": "Sin fondos este mes"})
    report.refresh_from_db()
    assert response.status_code == 200
    assert report.status == ReportStatus.DRAFT and not report.is_nil
    assert not report.events.exists()
    page = response.content.decode()
    # The confirmation is a form of its own (no JavaScript needed) carrying the note forward.
    assert f'action="/reports/{report.pk}/nil/"' in page
    assert 'name="confirm" value="yes"' in page
    assert 'name="note" value="Sin fondos este mes"' in page
    assert f'href="/reports/{report.pk}/"' in page  # the way back

    response = client.post(
        f"/reports/{report.pk}/nil/", {"note": "Sin fondos este mes", "confirm": "yes"}
    )
    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ReportStatus.SUBMITTED and report.is_nil
    assert report.events.get().reason == "Sin fondos este mes"


def test_the_nil_confirmation_reads_in_the_users_language(report, alice):
    for language, question in (("es", "¿Enviar un reporte sin actividades?"),
                               ("en", "Submit a report with no activities?")):
        client = Client(headers={"accept-language": language})
        client.cookies["django_language"] = language
        client.force_login(alice)
        response = client.post(f"/reports/{report.pk}/nil/", {"note": ""})
        assert question in response.content.decode(), language


def test_a_nil_report_is_not_offered_for_confirmation_once_the_report_has_lines(
    client, report, line, alice
):
    client.force_login(alice)
    response = client.post(f"/reports/{report.pk}/nil/", {"note": "", "confirm": ""})
    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ReportStatus.DRAFT and not report.is_nil
