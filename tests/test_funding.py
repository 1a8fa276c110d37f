"""Funding from OCHA's FTS (issue 15 point 2): the API read from recorded answers (no network),
the CSV download, the unreachable and changed cases that keep the last good figures, the sector
rows with "Not specified" kept, and an IM officer's override with its reason."""

from __future__ import annotations

import io
import json
import urllib.error
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reporting.funding import fts
from reporting.models import FundingOrigin, KeyFigures

RECORDED = Path(__file__).parent / "fixtures" / "fts"
ANSWERS = {
    "fts/flow/plan/overview/progress/2023": "plan-overview-progress-2023.json",
    "fts/flow/custom-search?planid=1131&groupby=location":
        "custom-search-planid-1131-groupby-location.json",
    "fts/flow/custom-search?planid=1131&groupby=cluster&locationid=175":
        "custom-search-planid-1131-locationid-175-groupby-cluster.json",
}


def recorded(url: str) -> bytes:
    path = url.removeprefix(fts.API_BASE)
    if path not in ANSWERS:
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
    return (RECORDED / ANSWERS[path]).read_bytes()


@pytest.fixture
def fts_answers(monkeypatch):
    """Every request of the command answered from the recorded files."""
    monkeypatch.setattr(fts, "http_fetch", lambda timeout=30.0: recorded)


def run(*args) -> str:
    out = io.StringIO()
    call_command("fetch_funding", *args, stdout=out)
    return out.getvalue()


def test_the_api_finds_the_regional_plan_and_peru_s_chapter():
    funding = fts.FtsApi(fetch=recorded).funding(2023)
    assert (funding.plan_id, funding.required, funding.funded) == (
        1131, Decimal("318000000"), Decimal("44800000"))
    assert funding.plan_name.startswith("Refugee and Migrant Response Plan")
    by_name = {c.name: c for c in funding.clusters}
    assert by_name["Not specified"].funded == Decimal("7000000")
    assert by_name["Not specified"].required is None
    assert sum(c.funded for c in funding.clusters) == funding.funded


def test_the_command_stores_the_funding_with_source_date_and_sectors(db, period, fts_answers):
    output = run("2023", "--month", "2023-09")
    key = KeyFigures.objects.get(period=period)
    assert (key.funding_required_usd, key.funding_received_usd) == (318000000, 44800000)
    assert key.funded_percent == 14
    assert key.funding_origin == FundingOrigin.FTS_API
    assert key.funding_source == "FTS API, plan 1131" and key.funding_date is not None
    rows = {row.fts_name: row for row in key.sector_funding.select_related("sector")}
    assert rows["Protection"].sector.code == "PRO"
    assert rows["Food Security"].sector.code == "FS"
    # Not one of our sectors, and funding given to no cluster: kept as their own rows.
    assert rows["Multipurpose Cash Assistance"].sector is None
    assert rows["Not specified"].sector is None and rows["Not specified"].funded_usd == 7000000
    assert sum(row.funded_usd for row in rows.values()) == key.funding_received_usd
    assert "Multipurpose Cash Assistance" in output


def test_the_csv_download_gives_the_same_figures(db, period):
    run("2023", "--month", "2023-09", "--file", str(RECORDED / "fts_requirements_funding_per.csv"),
        "--file", str(RECORDED / "fts_requirements_funding_cluster_per.csv"))
    key = KeyFigures.objects.get(period=period)
    assert (key.funding_required_usd, key.funding_received_usd) == (318000000, 44800000)
    assert key.funding_origin == FundingOrigin.FTS_FILE
    assert "fts_requirements_funding_per.csv" in key.funding_source
    # The file repeats "Not specified": one row, counted once.
    assert key.sector_funding.filter(fts_name="Not specified").count() == 1
    assert sum(r.funded_usd for r in key.sector_funding.all()) == 44800000


def test_the_plans_file_is_needed(db, period):
    with pytest.raises(CommandError, match="plans file"):
        run("2023", "--month", "2023-09",
            "--file", str(RECORDED / "fts_requirements_funding_cluster_per.csv"))


@pytest.mark.parametrize("failure, message", [
    (urllib.error.URLError("Name or service not known"), "could not be reached"),
    (urllib.error.HTTPError("u", 503, "Service Unavailable", {}, None), "answered 503"),
    (b"<html>maintenance</html>", "not JSON"),
    (json.dumps({"data": {"plans": "none"}}).encode(), "format changed"),
    (json.dumps({"data": {"plans": []}}).encode(), "no plan covering Peru"),
])
def test_a_failure_keeps_the_last_good_figures(db, period, monkeypatch, failure, message):
    KeyFigures.objects.create(period=period, funding_required_usd=300000000,
                              funding_received_usd=40000000, funding_source="FTS API, plan 1131")

    def broken(url):
        if isinstance(failure, Exception):
            raise failure
        return failure

    monkeypatch.setattr(fts, "http_fetch", lambda timeout=30.0: broken)
    with pytest.raises(CommandError, match=message) as raised:
        run("2023", "--month", "2023-09")
    assert "were kept" in str(raised.value)
    key = KeyFigures.objects.get(period=period)
    assert (key.funding_required_usd, key.funding_received_usd) == (300000000, 40000000)


def test_an_override_with_its_reason_survives_the_next_fetch(db, period, fts_answers):
    KeyFigures.objects.create(
        period=period, funding_required_usd=320000000, funding_received_usd=50000000,
        funding_origin=FundingOrigin.OVERRIDE,
        funding_override_reason="FTS has not yet recorded the ECHO contribution of 5 September.")
    output = run("2023", "--month", "2023-09")
    key = KeyFigures.objects.get(period=period)
    assert (key.funding_required_usd, key.funding_received_usd) == (320000000, 50000000)
    assert (key.fts_required_usd, key.fts_funded_usd) == (318000000, 44800000)
    assert "Kept the figures an IM officer typed" in output


def test_an_override_needs_a_reason(db, period):
    from django.core.exceptions import ValidationError

    key = KeyFigures(period=period, funding_origin=FundingOrigin.OVERRIDE)
    with pytest.raises(ValidationError):
        key.full_clean()


def test_bad_arguments_are_named(db, period):
    with pytest.raises(CommandError, match="not a month"):
        run("2023", "--month", "2023-13")
    with pytest.raises(CommandError, match="not a plan year"):
        run("1999")
    with pytest.raises(CommandError, match="no reporting period in 2031"):
        run("2031")
    with pytest.raises(CommandError, match="no such file"):
        run("2023", "--month", "2023-09", "--file", "/nonexistent.csv")


# What readers see ---------------------------------------------------------------------------


def test_the_situation_report_and_dashboard_show_funding_by_sector(db, period, fts_answers,
                                                                   ivan, alice):
    from django.test import Client

    from reporting.numbers import sitrep

    run("2023", "--month", "2023-09")
    report = sitrep.build_report(period)
    sectors = report["funding"]["sectors"]
    assert [row["fts_name"] for row in sectors][-2:] == [
        "Multipurpose Cash Assistance", "Not specified"]  # ours first, then FTS's own
    assert report["funding"]["origin"] == FundingOrigin.FTS_API
    html = sitrep.render_standalone(report)
    assert "Funding by sector" in html or "Financiamiento por sector" in html
    client = Client()
    client.force_login(alice)
    page = client.get("/dashboard/", {"period": "2023-09"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Funding of the RMRP in Peru" in text and "Not specified" in text
    assert "Multipurpose Cash Assistance" in text


def test_an_im_officer_overrides_with_a_reason_in_the_admin(db, period, fts_answers, ivan):
    from django.test import Client

    from reporting.numbers import sitrep

    run("2023", "--month", "2023-09")
    key = KeyFigures.objects.get(period=period)
    client = Client()
    client.force_login(ivan)
    url = f"/admin/reporting/keyfigures/{key.pk}/change/"
    form = {"period": period.pk, "funding_required_usd": "318000000",
            "funding_received_usd": "50000000", "funding_source": key.funding_source,
            "funding_date": key.funding_date.isoformat(), "funding_override_reason": "",
            "sector_funding-TOTAL_FORMS": "0", "sector_funding-INITIAL_FORMS": "0"}
    refused = client.post(url, form)
    assert refused.status_code == 200  # the form again, with the error
    assert "say why" in refused.content.decode()
    form["funding_override_reason"] = "ECHO's September contribution is not in FTS yet."
    assert client.post(url, form).status_code == 302
    key.refresh_from_db()
    assert key.funding_origin == FundingOrigin.OVERRIDE and key.funding_received_usd == 50000000
    assert (key.fts_funded_usd, key.fts_required_usd) == (44800000, 318000000)
    html = sitrep.render_standalone(sitrep.build_report(period))
    assert "ECHO&#x27;s September contribution is not in FTS yet." in html or \
        "ECHO's September contribution is not in FTS yet." in html
