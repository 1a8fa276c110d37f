"""The situation report: its figures, published editions that keep them, who sees what.

The dataset is DESIGN §4's worked example, plus a report still awaiting review (which must
count nowhere) and an August report (which counts in the year to date only):

    September 2023, approved      Lima destination   Lima transit   Tumbes transit
      HIAS · Health                300 (new 250)      50 (new 50)
      HIAS · Protection            200 (new 200)                     120 (new 100)
      Cáritas · Food Security                                        400 (new 300, cash)
    September 2023, submitted
      Cáritas · Health            5000 (new 5000)
    August 2023, approved
      HIAS · Health                 90 (new 70)

Month: Health 350, Protection 320, Food Security 400 (sum 1,070); people assisted
300 + 50 + 400 = 750; CBI 400. Year to date (new beneficiaries, January to September): Health
370, Protection 300, Food Security 300 (sum 970); people assisted 320 + 50 + 300 = 670; CBI 300.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from partners.models import Organisation
from reporting.models import (
    KeyFigures,
    Location,
    Modality,
    Narrative,
    NarrativeKind,
    PopulationType,
    ReportStatus,
    Sector,
    SitrepEdition,
)
from reporting.numbers import sitrep

from .factories import LineFactory, PeriodFactory, ReportFactory

pytestmark = pytest.mark.django_db

DRAFT = "/situation-report/2023-09/"
DRAFT_PDF = "/situation-report/2023-09/pdf/"
PUBLISH = "/situation-report/2023-09/publish/"
PUBLIC_LIST = "/sitreps/"
EDITION_1 = "/sitreps/2023-09/1/"


def line(report, department: str, population_type: str, total: int, new: int, **extra):
    place = Location.objects.get(code=department)
    return LineFactory(
        report=report, department=place, location=place, population_type=population_type,
        girls=0, boys=0, women=new, men=0, other_adults=0, new_beneficiaries=new, total_monthly=total,
        **extra,
    )


@pytest.fixture
def food(db):
    return Sector.objects.get(code="FS")


@pytest.fixture
def data(period, org_a, org_b, health, protection, food, alice, bob):
    """The dataset of the module docstring; returns the report still awaiting review."""
    approved = ReportStatus.APPROVED
    hias_health = ReportFactory(organisation=org_a, sector=health, period=period, status=approved)
    line(hias_health, "15", PopulationType.DESTINATION, 300, 250)
    line(hias_health, "15", PopulationType.TRANSIT, 50, 50)
    hias_protection = ReportFactory(organisation=org_a, sector=protection, period=period,
                                    status=approved)
    line(hias_protection, "15", PopulationType.DESTINATION, 200, 200)
    line(hias_protection, "24", PopulationType.TRANSIT, 120, 100)
    caritas_food = ReportFactory(organisation=org_b, sector=food, period=period, status=approved)
    line(caritas_food, "24", PopulationType.TRANSIT, 400, 300, modality=Modality.CASH,
         cash_usd=Decimal("12000"))
    pending = ReportFactory(organisation=org_b, sector=health, period=period,
                            status=ReportStatus.SUBMITTED)
    line(pending, "15", PopulationType.DESTINATION, 5000, 5000)
    august = ReportFactory(organisation=org_a, sector=health,
                           period=PeriodFactory(month=dt.date(2023, 8, 1)), status=approved)
    line(august, "15", PopulationType.DESTINATION, 90, 70)

    KeyFigures.objects.create(
        period=period, refugees=1_542_004, refugees_source="R4V", refugees_date=dt.date(2023, 8, 31),
        funding_required_usd=Decimal("318000000"), funding_received_usd=Decimal("44800000"),
        funding_source="FTS", funding_date=dt.date(2023, 9, 30),
    )
    Narrative.objects.create(period=period, kind=NarrativeKind.SITUATION,
                             text_es="Estado de **emergencia** en Lima.",
                             text_en="State of **emergency** in Lima.")
    Narrative.objects.create(period=period, kind=NarrativeKind.HIGHLIGHTS, sector=health,
                             text_es="- Unas 6.800 consultas.", text_en="- Some 6,800 consultations.")
    return pending


def approve(report) -> None:
    type(report).objects.filter(pk=report.pk).update(status=ReportStatus.APPROVED)


def publish(period, by, note: str = "") -> SitrepEdition:
    return sitrep.publish_edition(period=period, by=by, note=note)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------

def contract_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("situation_report", "2023-09", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_json_contract_has_the_exact_figures_of_approved_lines_only(data):
    report = contract_json("--language", "en")

    assert report["period"] == "2023-09"
    assert report["people_assisted"] == {
        "month": 750, "ytd": 670, "sum_of_sectors_month": 1070, "sum_of_sectors_ytd": 970,
    }
    sectors = {row["code"]: row for row in report["sectors"]}
    assert {key: sectors["HEA"][key] for key in ("code", "name", "month", "ytd")} == {
        "code": "HEA", "name": "Health", "month": 350, "ytd": 370,
    }
    assert (sectors["PRO"]["month"], sectors["PRO"]["ytd"]) == (320, 300)
    assert (sectors["FS"]["month"], sectors["FS"]["ytd"]) == (400, 300)
    assert (sectors["EDU"]["month"], sectors["EDU"]["ytd"]) == (0, 0)
    assert [row["code"] for row in report["sectors"]] == [
        "EDU", "FS", "HEA", "HT", "INT", "NUT", "PRO", "SHE", "WASH",
    ]
    assert report["cbi"] == {"month": 400, "ytd": 300}
    assert [(d["code"], d["name"], d["month"], d["ytd"]) for d in report["departments"]] == [
        ("15", "Lima", 350, 370), ("24", "Tumbes", 400, 300),
    ]
    assert report["partners"]["reporting"] == 2
    assert (report["partners"]["total"], report["partners"]["rmo"]) == (110, 13)
    assert report["key_figures"]["refugees"] == 1_542_004
    assert report["key_figures"]["refugees_date"] == "2023-08-31"
    assert {key: report["funding"][key] for key in ("required_usd", "funded_usd", "percent")} == {
        "required_usd": 318_000_000, "funded_usd": 44_800_000, "percent": 14,
    }


def test_the_json_names_sectors_in_the_language_asked_for(data):
    sectors = {row["code"]: row["name"] for row in contract_json("--language", "es")["sectors"]}
    assert sectors["HEA"] == "Salud"
    assert sectors["FS"] == "Seguridad Alimentaria"


def test_missing_key_figures_are_null_not_zero(period):
    report = sitrep.build_report(period)
    assert report["key_figures"]["refugees"] is None
    assert report["funding"] == {"required_usd": None, "funded_usd": None, "percent": None,
                                 "source": "", "date": None, "origin": "",
                                 "override_reason": "", "fts_required_usd": None,
                                 "fts_funded_usd": None, "sectors": []}
    json.dumps(report)  # the snapshot is plain JSON


def test_the_partner_list_sorts_as_in_spanish_ignoring_accents(period):
    names = sitrep.build_report(period)["partners"]["names"]
    assert len(names) == 111  # the 110 partners, and Proyecto LHSS as the seed lists it
    assert names[:3] == ["Acción Contra el Hambre", "Acción y Desarrollo", "ACNUDH"]
    assert names.index("Amnistía Internacional") < names.index("Ángeles del Camino") < \
        names.index("APPV")
    assert sorted(["Ñandú", "Nutri", "Oso"], key=sitrep.spanish_sort_key) == ["Nutri", "Ñandú", "Oso"]


def test_the_list_names_proyecto_lhss_as_the_seed_does_without_counting_it(client, period):
    # Issue 14: the published report lists it among its partners and counts 110 without it.
    partners = sitrep.build_report(period)["partners"]
    assert partners["total"] == 110
    assert partners["also_listed"] == ["Proyecto LHSS"]
    names = partners["names"]
    assert "Proyecto LHSS" in names and names == sorted(names, key=sitrep.spanish_sort_key)
    for language, note in (("en", "Proyecto LHSS is listed as the published report lists it, "
                                   "but is not counted among the 110 partners"),
                           ("es", "Proyecto LHSS figura en la lista tal como la publica el "
                                  "reporte, pero no se cuenta entre los 110 socios")):
        with translation.override(language):
            html = sitrep.render_standalone(sitrep.build_report(period))
            assert note in " ".join(html.split())


def test_an_inactive_organisation_leaves_the_partner_list(period):
    Organisation.objects.filter(acronym="JADE").update(active=False)
    partners = sitrep.build_report(period)["partners"]
    assert partners["total"] == 109
    assert "JADE" not in partners["names"]


# --------------------------------------------------------------------------------------------
# Editions
# --------------------------------------------------------------------------------------------

def test_an_im_officer_publishes_an_edition(client, data, ivan):
    client.force_login(ivan)
    response = client.post(PUBLISH, {"note": "First figures."})
    assert response.status_code == 302
    assert response["Location"] == EDITION_1
    edition = SitrepEdition.objects.get()
    assert (edition.number, edition.note, edition.published_by) == (1, "First figures.", ivan)
    assert edition.data["people_assisted"]["month"] == 750


def test_editions_are_numbered_one_two_and_the_latest_is_the_months(client, data, period, ivan):
    assert [publish(period, ivan).number, publish(period, ivan).number] == [1, 2]
    response = client.get("/sitreps/2023-09/")
    assert response.status_code == 302
    assert response["Location"] == "/sitreps/2023-09/2/"
    assert "A newer edition of this report exists" in html_of(client.get(EDITION_1))
    assert "A newer edition" not in html_of(client.get("/sitreps/2023-09/2/"))


@pytest.mark.parametrize("persona", ["paula", "carl", "alice", "fiona"])
def test_only_an_im_officer_may_publish(client, data, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(PUBLISH, {"note": "x"}).status_code == 403
    assert not SitrepEdition.objects.exists()


def test_publishing_refuses_a_get_and_an_anonymous_post(client, data, ivan):
    response = client.post(PUBLISH)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(ivan)
    assert client.get(PUBLISH).status_code == 405
    assert not SitrepEdition.objects.exists()


def test_publish_edition_refuses_anyone_but_an_im_officer(data, period, paula):
    with pytest.raises(PermissionDenied):
        publish(period, paula)


def test_an_edition_keeps_its_figures_when_data_is_approved_later(client, data, period, ivan,
                                                                   paula):
    publish(period, ivan)
    approve(data)  # Cáritas · Health, 5,000 more in Lima: people assisted 750 → 5,750

    public = html_of(client.get(EDITION_1))
    assert "750" in public
    assert "5,750" not in public
    assert json.loads(client.get("/sitreps/2023-09/1/json/").content)["people_assisted"][
        "month"] == 750

    client.force_login(paula)
    draft = html_of(client.get(DRAFT))
    assert "5,750" in draft
    assert "Draft — not published" in draft


def test_changes_since_lists_what_differs_from_the_live_figures(data, period, ivan, health):
    edition = publish(period, ivan)
    assert sitrep.changes_since(edition) == []

    approve(data)
    Narrative.objects.filter(sector=health).update(text_en="- Some 7,000 consultations.")
    changes = {change.label: change for change in sitrep.changes_since(edition)}
    assert (changes["People assisted directly, month"].published,
            changes["People assisted directly, month"].now) == (750, 5750)
    assert (changes["Health, month"].published, changes["Health, month"].now) == (350, 5350)
    assert (changes["Lima, year to date"].published, changes["Lima, year to date"].now) == \
        (370, 5370)
    assert "Partners that reported" not in changes  # Cáritas had an approved report already
    assert changes["Highlights: Health"].is_text
    assert "Protection, month" not in changes


@pytest.mark.parametrize(("persona", "sees"), [
    ("ivan", True), ("paula", True), ("carl", True), ("alice", False), (None, False),
])
def test_only_im_officers_and_coordinators_see_what_changed(client, data, period, ivan, persona,
                                                            sees, request):
    publish(period, ivan)
    approve(data)
    if persona:
        client.force_login(request.getfixturevalue(persona))
    page = html_of(client.get(EDITION_1))
    assert ("Changed since publication" in page) is sees
    assert ("5,750" in page) is sees


# --------------------------------------------------------------------------------------------
# Public and signed-in pages
# --------------------------------------------------------------------------------------------

def test_anonymous_readers_get_the_published_pages(client, data, period, ivan):
    publish(period, ivan)
    listing = html_of(client.get(PUBLIC_LIST))
    assert EDITION_1 in listing
    assert "750" in listing
    page = html_of(client.get(EDITION_1))
    assert "September 2023" in page
    assert "Edition 1" in page
    pdf = client.get("/sitreps/2023-09/1/pdf/")
    assert pdf.status_code == 200
    assert client.get("/sitreps/2023-09/1/json/").status_code == 200


def test_public_pages_answer_head_requests(client, data, period, ivan):
    publish(period, ivan)
    for url in (PUBLIC_LIST, EDITION_1, "/sitreps/2023-09/1/json/"):
        assert client.head(url).status_code == 200, url


@pytest.mark.parametrize("url", [DRAFT, DRAFT_PDF])
def test_draft_pages_send_anonymous_readers_to_sign_in(client, data, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_public_pages_never_show_unpublished_figures(client, data, period, ivan):
    listing = html_of(client.get(PUBLIC_LIST))
    assert "No situation report has been published yet" in listing
    assert "750" not in listing
    assert client.get("/sitreps/2023-09/").status_code == 404
    assert client.get(EDITION_1).status_code == 404
    assert client.get("/sitreps/2023-09/1/pdf/").status_code == 404
    assert client.get("/sitreps/2023-09/1/json/").status_code == 404


def test_the_public_list_puts_the_newest_month_and_edition_first(client, data, period, ivan):
    publish(period, ivan)
    publish(period, ivan)
    august = PeriodFactory(month=dt.date(2023, 8, 1))
    publish(august, ivan)
    listing = html_of(client.get(PUBLIC_LIST))
    assert listing.index("/sitreps/2023-09/2/") < listing.index("/sitreps/2023-09/1/") < \
        listing.index("/sitreps/2023-08/1/")
    assert "Earlier editions" in listing


def test_a_partner_reads_published_editions_but_not_the_draft(client, data, period, ivan, alice):
    client.force_login(alice)
    assert client.get(DRAFT).status_code == 403
    assert client.get(DRAFT_PDF).status_code == 403
    publish(period, ivan)
    assert client.get(EDITION_1).status_code == 200


def test_a_coordinator_reads_the_draft_without_the_publish_form(client, data, carl):
    client.force_login(carl)
    page = html_of(client.get(DRAFT))
    assert "Draft — not published" in page
    assert "750" in page and "1,070" in page  # de-duplicated and plain sum
    assert "Publish edition" not in page


def test_the_draft_page_offers_publishing_to_im_and_the_admin_to_coordinators(client, data, ivan,
                                                                               paula):
    client.force_login(ivan)
    page = html_of(client.get(DRAFT))
    assert "Publish edition" in page and PUBLISH in page
    client.force_login(paula)
    page = html_of(client.get(DRAFT))
    assert "Publish edition" not in page
    assert "/admin/reporting/keyfigures/" in page
    assert "/admin/reporting/narrative/" in page


def test_the_draft_of_a_month_without_a_period_is_not_found(client, ivan):
    client.force_login(ivan)
    assert client.get("/situation-report/2022-01/").status_code == 404


def test_the_draft_lists_its_published_editions(client, data, period, ivan):
    publish(period, ivan, note="Corrected Health.")
    client.force_login(ivan)
    page = html_of(client.get(DRAFT))
    assert EDITION_1 in page
    assert "Corrected Health." in page


def test_the_page_shows_the_figures_and_texts_of_the_seed_layout(client, data, period, ivan):
    publish(period, ivan)
    page = html_of(client.get(EDITION_1))
    for text in ["Refugees and migrants in Peru", "1.54M", "People assisted directly",
                 "Funding situation", "14%", "$44.8M", "$318M", "Source: FTS",
                 "State of <strong>emergency</strong> in Lima.", "Some 6,800 consultations.",
                 "People reached per sector", "Sum of sectors", "CBI",
                 "GTRM 110 Partners", "Acción Contra el Hambre | Acción y Desarrollo",
                 "of which 13 are refugee- and migrant-led organisations",
                 "Includes refugees and migrants in transit.", "<svg"]:
        assert text in page, text
    assert "https://" not in page.split('<article class="sitrep"', 1)[1].split("</article>")[0]


@pytest.mark.parametrize(("language", "words"), [
    ("es", ["Septiembre de 2023", "Salud", "Estado de <strong>emergencia</strong>"]),
    ("en", ["September 2023", "Health", "State of <strong>emergency</strong>"]),
])
def test_the_report_reads_in_spanish_and_english(client, data, period, ivan, language, words):
    publish(period, ivan)
    client.cookies["django_language"] = language
    for url in (EDITION_1,):
        page = html_of(client.get(url))
        assert f'<html lang="{language}">' in page
        for word in words:
            assert word in page
    client.force_login(ivan)
    client.cookies["django_language"] = language
    draft = html_of(client.get(DRAFT))
    for word in words:
        assert word in draft
    payload = json.loads(client.get("/sitreps/2023-09/1/json/").content)
    names = {row["code"]: row["name"] for row in payload["sectors"]}
    assert names["HEA"] == ("Salud" if language == "es" else "Health")


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

def test_the_edition_pdf_is_a_pdf_with_a_sensible_name(client, data, period, ivan):
    publish(period, ivan)
    response = client.get("/sitreps/2023-09/1/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="gtrm-peru-sitrep-2023-09-ed1.pdf"'


def test_the_draft_pdf_is_named_as_a_draft(client, data, paula):
    client.force_login(paula)
    response = client.get(DRAFT_PDF)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert "gtrm-peru-sitrep-2023-09-draft.pdf" in response["Content-Disposition"]


def test_the_pdf_source_fetches_nothing_from_outside(data, period):
    html = sitrep.render_standalone(sitrep.build_report(period), for_pdf=True)
    assert "<link" not in html
    assert "src=" not in html
    assert "@page" in html
    svg_tags = re.findall(r"<svg\b[^>]*>", html)
    assert len(svg_tags) == 2
    for tag in svg_tags:  # WeasyPrint would lose the charts' aspect ratio
        assert "height:auto" not in tag.replace(" ", "")


# --------------------------------------------------------------------------------------------
# Bounded work
# --------------------------------------------------------------------------------------------

def queries_of(client, url: str) -> int:
    client.get(url)  # warm the caches (content types, translations) out of the count
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def test_the_report_pages_run_as_many_queries_for_2_and_60_lines(client, period, org_a, org_b,
                                                                 health, protection, ivan):
    """Measured on SQLite: the draft runs 21 queries (15 of them `build_report`'s), an edition
    20 for an IM officer (who gets the changes box, so `build_report` again), 5 for a partner
    and 2 for an anonymous reader; the JSON of an edition 1."""
    places = list(Location.objects.departments().order_by("code"))
    cells = itertools.product(PopulationType.values, places)
    reports = [ReportFactory(organisation=org, sector=sector, period=period,
                             status=ReportStatus.APPROVED)
               for org, sector in itertools.product([org_a, org_b], [health, protection])]

    def add_lines(count: int) -> None:
        for number, (population_type, place) in zip(range(count), cells, strict=False):
            LineFactory(report=reports[number % len(reports)], department=place, location=place,
                        population_type=population_type)

    add_lines(2)
    publish(period, ivan)
    client.force_login(ivan)
    small = {url: queries_of(client, url) for url in (DRAFT, EDITION_1)}
    add_lines(58)
    publish(period, ivan)
    large = {DRAFT: queries_of(client, DRAFT), EDITION_1: queries_of(client, "/sitreps/2023-09/2/")}
    assert large == small


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "start"), [
    ("json", b"{"), ("html", b"<!doctype html>"), ("pdf", b"%PDF"),
])
def test_the_command_writes_each_format_to_a_file(data, tmp_path, fmt, start):
    target = tmp_path / f"sitrep.{fmt}"
    call_command("situation_report", "2023-09", "--format", fmt, "-o", str(target),
                 stderr=io.StringIO())
    assert target.read_bytes().startswith(start)


def test_the_command_writes_the_html_in_the_language_asked_for(data, tmp_path):
    target = tmp_path / "sitrep.html"
    call_command("situation_report", "2023-09", "--format", "html", "--language", "es",
                 "-o", str(target), stderr=io.StringIO())
    html = target.read_text()
    assert "Septiembre de 2023" in html
    assert "<style>" in html


def test_the_command_reads_a_published_edition(data, period, ivan):
    publish(period, ivan)
    approve(data)
    assert contract_json()["people_assisted"]["month"] == 5750
    assert contract_json("--edition", "1")["people_assisted"]["month"] == 750


@pytest.mark.parametrize(("args", "message"), [
    (["2022-01"], "no reporting period for 2022-01"),
    (["2023-13"], "YYYY-MM"),
    (["september"], "YYYY-MM"),
    (["2023-09", "--edition", "3"], "has no edition 3"),
])
def test_the_command_explains_an_unknown_month_or_edition(data, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("situation_report", *args, stdout=io.StringIO())


def test_month_title_follows_the_language():
    with translation.override("es"):
        assert sitrep.month_title("2023-09") == "Septiembre de 2023"
    with translation.override("en"):
        assert sitrep.month_title("2023-09") == "September 2023"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_footnote_ends_its_sentence_once(data, period, ivan, language):
    # Issue 14: "as of Oct. 13, 2023, 5 p.m.." in English.
    edition = sitrep.publish_edition(period=period, by=ivan)
    edition.data["generated_at"] = "2023-10-13T17:00:00-05:00"
    with translation.override(language):
        html = " ".join(sitrep.render_standalone(edition.data, edition=edition).split())
    provenance = re.search(r'class="sitrep-provenance">([^<]*)<', html).group(1)
    assert provenance.endswith(" 17:00.") and ".." not in provenance
    assert provenance == {"en": "Figures from the reports approved as of Oct. 13, 2023 at 17:00.",
                          "es": "Cifras de los reportes aprobados al 13 de octubre de 2023 a las "
                                "17:00."}[language]


MAP_TABLE = re.compile(r'<details class="sitrep-map-table".*?</details>', re.S)
MAP_PATH_TITLE = re.compile(r'data-code="\d+"><title>([^<]+): ([^<]+)</title>')
TABLE_ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>')


def test_the_map_has_its_figures_as_a_table_next_to_it(client, data, period, ivan):
    publish(period, ivan)
    page = html_of(client.get(EDITION_1))
    table = MAP_TABLE.search(page)
    assert table, "no table of the map's figures"
    rows = TABLE_ROW.findall(table.group(0))
    # Largest first: Tumbes 400 (Cáritas' food, in transit), Lima 300 + 50.
    assert rows == [("Tumbes", "400"), ("Lima", "350")]
    shaded = {name: value for name, value in MAP_PATH_TITLE.findall(page) if value != "0"}
    assert dict(rows) == shaded
    assert "Show as a table" in table.group(0)


def test_the_pdf_keeps_the_map_without_its_table(data, period):
    with translation.override("en"):
        source = sitrep.render_standalone(sitrep.build_report(period), for_pdf=True)
    assert "sitrep-map" in source
    # The class is in the inlined style sheet; the table itself is not in the document.
    assert 'id="sitrep-map-table"' not in source and "<details" not in source
