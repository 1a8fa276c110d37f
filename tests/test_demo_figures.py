"""The demo's September 2023 gives the figures of the published situation report (the seed
sitrep), computed by the counting rules from the demo's lines, never typed in."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from partners.models import Organisation, OrganisationType
from reporting.demo.september import september_cells, september_streams
from reporting.models import (
    ActivityLine,
    IndicatorType,
    KeyFigures,
    Modality,
    MonthlyReport,
    Narrative,
    NarrativeKind,
    ReportStatus,
)
from reporting.numbers.aggregation import month_figures

SEPTEMBER = dt.date(2023, 9, 1)
SITREP_SECTORS = {
    "EDU": 1_995, "FS": 10_655, "HEA": 11_054, "HT": 60, "INT": 7_980, "NUT": 403,
    "PRO": 12_483, "SHE": 3_457, "WASH": 151,
}
SECTORS_WITH_HIGHLIGHTS = {"EDU", "HEA", "INT", "NUT", "PRO", "SHE", "FS"}


@pytest.fixture(scope="module")
def september(django_db_setup, django_db_blocker):
    """Build the demo once for the module, compute September's figures, and roll it all back
    afterwards so that other test modules start from the seeds alone."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo_data", stdout=io.StringIO())
        yield month_figures(SEPTEMBER)
        transaction.set_rollback(True)


def counted_september_lines():
    return ActivityLine.objects.filter(
        report__period__month=SEPTEMBER, report__status=ReportStatus.APPROVED,
        indicator__type=IndicatorType.DIRECT_ASSISTANCE, rmrp_activity=True,
    )


def test_every_sector_shows_its_published_september_figure(september, db):
    assert {figure.code: figure.month for figure in september.sectors} == SITREP_SECTORS
    assert september.sum_of_sectors_month == 48_238


def test_people_assisted_directly_is_the_published_headline(september, db):
    assert september.people_assisted_month == 25_290


def test_cash_and_voucher_assistance_is_the_published_cbi(september, db):
    assert september.cbi_month == 8_884


def test_the_headline_is_smaller_than_the_sum_because_sectors_share_cells(september, db):
    sectors_per_cell = defaultdict(set)
    for cell in september.cells_month:
        sectors_per_cell[(cell.department, cell.population_type)].add(cell.sector)
    assert any(len(sectors) >= 2 for sectors in sectors_per_cell.values())
    assert september.people_assisted_month < september.sum_of_sectors_month


def test_shelter_cash_shares_cells_with_food_cash(september, db):
    cash = counted_september_lines().filter(modality__in=[Modality.CASH, Modality.VOUCHER])
    shelter = set(cash.filter(report__sector__code="SHE").values_list(
        "department__code", "population_type"))
    food = set(cash.filter(report__sector__code="FS").values_list(
        "department__code", "population_type"))
    assert shelter and shelter <= food
    assert sum(cash.filter(report__sector__code="SHE").values_list(
        "total_monthly", flat=True)) == 250
    assert not cash.filter(cash_usd__isnull=True).exists()
    usd = sum(cash.filter(report__sector__code="FS").values_list("cash_usd", flat=True))
    assert 320_000 < usd < 330_000  # "almost USD 330K"


def test_protection_counts_its_sub_sectors_lines(september, db):
    protection = counted_september_lines().filter(report__sector__code="PRO")
    for sub in ("PRO-CP", "PRO-GBV"):
        assert protection.filter(indicator__sector__code=sub).exists(), sub
    subsectors = {figure.code: figure.month for figure in september.subsectors}
    assert subsectors["PRO-CP"] > 0 and subsectors["PRO-GBV"] > 0
    assert sum(subsectors.values()) < SITREP_SECTORS["PRO"]


def test_the_lines_are_spread_over_places_populations_and_partners(september, db):
    lines = counted_september_lines()
    assert lines.values("department").distinct().count() >= 8
    assert lines.values("population_type").distinct().count() >= 3
    assert lines.values("report__organisation").distinct().count() >= 20
    assert lines.filter(department__code="15").count() == max(
        lines.filter(department__code=code).count()
        for code in lines.values_list("department__code", flat=True).distinct()
    )
    lima = next(area for area in september.departments if area.code == "15")
    assert lima.month == max(area.month for area in september.departments)


def test_only_approved_reports_carry_the_figures(september, db):
    september_reports = MonthlyReport.objects.filter(period__month=SEPTEMBER)
    for status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.RETURNED):
        assert september_reports.filter(status=status).exists(), status
    unapproved_lines = ActivityLine.objects.filter(
        report__period__month=SEPTEMBER, indicator__type=IndicatorType.DIRECT_ASSISTANCE, rmrp_activity=True
    ).exclude(report__status=ReportStatus.APPROVED)
    assert unapproved_lines.exists()
    assert not september_reports.filter(
        organisation__acronym="HIAS", sector__code="PRO", lines__isnull=False
    ).exists()


def test_every_approved_september_report_has_lines(september, db):
    approved = MonthlyReport.objects.filter(
        period__month=SEPTEMBER, status=ReportStatus.APPROVED, is_nil=False
    )
    assert approved.exists()
    assert not approved.filter(lines__isnull=True).exists()


def test_partner_counts_are_the_published_ones(september, db):
    partners = Organisation.objects.partners()
    assert partners.count() == 110
    assert partners.filter(type=OrganisationType.RMO).count() == 13


def test_key_figures_are_the_published_ones(september, db):
    figures = KeyFigures.objects.get(period__month=SEPTEMBER)
    assert figures.refugees == 1_540_000
    assert figures.refugees_source and figures.refugees_date
    assert figures.funding_required_usd == 318_000_000
    assert figures.funding_received_usd == 44_800_000
    assert figures.funded_percent == 14
    assert figures.funding_source == "Financial Tracking System (FTS)" and figures.funding_date
    assert figures.updated_by.username == "im"
    earlier = KeyFigures.objects.filter(period__month__lt=SEPTEMBER).order_by("period__month")
    assert [f.refugees for f in earlier] == [1_520_000, 1_530_000]


def test_narratives_are_written_in_both_languages(september, db):
    narratives = Narrative.objects.filter(period__month=SEPTEMBER).select_related(
        "sector", "updated_by"
    )
    for narrative in narratives:
        assert narrative.text_es.strip() and narrative.text_en.strip(), narrative
        assert narrative.text_es != narrative.text_en
    kinds = {n.kind for n in narratives}
    assert {NarrativeKind.SITUATION, NarrativeKind.COORDINATION} <= kinds
    highlights = {n.sector.code: n for n in narratives if n.kind == NarrativeKind.HIGHLIGHTS}
    assert set(highlights) == SECTORS_WITH_HIGHLIGHTS
    assert highlights["HEA"].updated_by.username == "coord.health"
    assert highlights["PRO"].updated_by.username == "coord.protection"
    situation = narratives.get(kind=NarrativeKind.SITUATION)
    assert "10 November" in situation.text_en and "10 de noviembre" in situation.text_es
    coordination = narratives.get(kind=NarrativeKind.COORDINATION)
    assert "JADE" in coordination.text_en and "110" in coordination.text_es


def test_the_plan_checks_itself_without_a_database():
    cells = september_cells()
    assert sum(max(sectors.values()) for sectors in cells.values()) == 25_290
    assert sum(sum(sectors.values()) for sectors in cells.values()) == 48_238
    assert sum(s.people for s in september_streams() if s.cash and s.sector == "FS") == 8_884


@pytest.mark.parametrize("username", ["im", "coord.health", "reporter.caritas"])
def test_the_dashboard_and_the_published_situation_report_show_the_same_september(
    september, db, client, username
):
    from partners.models import User

    client.force_login(User.objects.get(username=username))
    dashboard = client.get("/dashboard/?period=2023-09").context["figures"]
    published = client.get("/sitreps/2023-09/1/json/").json()
    draft = client.get("/situation-report/2023-09/")
    if username == "reporter.caritas":  # partners read the published editions only
        assert draft.status_code == 403
        return

    assert published["people_assisted"]["month"] == dashboard.people_assisted_month == 25_290
    assert published["people_assisted"]["sum_of_sectors_month"] == 48_238
    assert published["cbi"]["month"] == dashboard.cbi_month == 8_884
    assert {s["code"]: s["month"] for s in published["sectors"]} == SITREP_SECTORS == {
        s.code: s.month for s in dashboard.sectors
    }
    assert {d["code"]: d["month"] for d in published["departments"]} == {
        d.code: d.month for d in dashboard.departments
    }
    assert published["partners"] == {**published["partners"], "total": 110, "rmo": 13}
    assert published["funding"]["percent"] == 14
    assert draft.status_code == 200 and "25,290" in draft.content.decode()


def _pages_of(document, css_class: str) -> set[int]:
    return {
        number for number, page in enumerate(document.pages, start=1)
        for box in page._page_box.descendants()
        if css_class in ((getattr(box, "element", None) is not None
                          and box.element.get("class")) or "").split()
    }


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_pdf_keeps_the_chart_with_its_table_on_the_first_page(september, db, language):
    # Issue 14: in Spanish the chart fell onto page 2, away from its table.
    from weasyprint import HTML

    from reporting.models import ReportingPeriod
    from reporting.numbers import sitrep

    period = ReportingPeriod.objects.get(month=SEPTEMBER)
    with translation.override(language):
        html = sitrep.render_standalone(sitrep.build_report(period), for_pdf=True)
    document = HTML(string=html, url_fetcher=sitrep._refuse_fetch).render()
    assert _pages_of(document, "sitrep-table") == {1}
    assert _pages_of(document, "sitrep-chart") == {1}
    # The partner list is never split between two pages.
    assert len(_pages_of(document, "sitrep-partner-names")) == 1


def test_the_demo_has_rmrp_activities_and_others_which_do_not_count(september, db):
    lines = ActivityLine.objects.filter(report__period__month=SEPTEMBER,
                                        report__status=ReportStatus.APPROVED)
    outside = lines.filter(rmrp_activity=False, indicator__type=IndicatorType.DIRECT_ASSISTANCE)
    assert outside.exists()
    assert not outside.filter(pk__in=counted_september_lines()).exists()


def test_the_demo_records_other_people_of_both_ages_and_none_of_unknown_age(september, db):
    lines = ActivityLine.objects.all()
    assert lines.filter(other_under_18__gt=0).exists()
    assert lines.filter(other_adults__gt=0).exists()
    assert not lines.filter(other_unknown_age__gt=0).exists()
