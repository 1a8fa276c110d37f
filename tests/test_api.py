"""The read API (/api/v1/, DESIGN §7): who gets which rows, tokens, paging, incremental refresh,
CSV, the schema, throttling and bounded queries.

Personas as in conftest: alice reports for HIAS (A), bob for CARITAS (B), paula coordinates
Protection (the reports' sector), carl Health, ivan is the IM team. A's Protection report is
submitted; B's is a draft, which only bob and ivan see.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from partners.models import ApiToken
from partners.tokens import create_api_token
from reporting import services, workflow
from reporting.api import authentication, rows
from reporting.models import (
    ActivityLine,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportStatus,
)
from reporting.numbers import sitrep

from .factories import LineFactory, ReportFactory

PERSONAS = ("anonymous", "alice", "bob", "paula", "carl", "ivan")
REFERENCE_ROUTES = ("sectors", "indicators", "organisations", "locations")


@pytest.fixture(autouse=True)
def fresh_throttle():
    # Throttle counts live in the cache, shared by every test of the process.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(org_b, protection, period, report, line, alice, bob, paula, carl, ivan):
    workflow.submit_report(report=report, by=alice)
    draft = ReportFactory(organisation=org_b, sector=protection, period=period, created_by=bob)
    draft_line = LineFactory(report=draft, created_by=bob)
    people = {"alice": alice, "bob": bob, "paula": paula, "carl": carl, "ivan": ivan}
    keys = {name: create_api_token(user=user, name="Power BI")[1] for name, user in people.items()}
    return {"a": line, "b": draft_line, "keys": keys, "users": people, "period": period}


def api(world, persona: str, url: str, **extra):
    headers = {} if persona == "anonymous" else {
        "HTTP_AUTHORIZATION": f"Token {world['keys'][persona]}"}
    return Client().get(url, **headers, **extra)


# --------------------------------------------------------------------------------------------
# Each role against each route
# --------------------------------------------------------------------------------------------

EXPECTED_LINES = {"alice": {"a"}, "bob": {"b"}, "paula": {"a"}, "carl": set(), "ivan": {"a", "b"}}


@pytest.mark.parametrize("persona", PERSONAS)
def test_lines_are_those_the_pages_show(world, persona):
    response = api(world, persona, "/api/v1/lines/")
    if persona == "anonymous":
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {world[name].pk for name in EXPECTED_LINES[persona]}
    assert response.json()["count"] == len(ids)


@pytest.mark.parametrize("persona", PERSONAS)
def test_deletions_are_those_of_visible_reports(world, persona):
    since = timezone.now() - dt.timedelta(minutes=1)
    # Returned, so that alice may change it again and paula still sees it.
    workflow.return_report(report=world["a"].report, by=world["users"]["paula"], reason="Check")
    line_ids = {"a": world["a"].pk, "b": world["b"].pk}
    services.delete_line(line=world["a"], by=world["users"]["alice"])
    services.delete_line(line=world["b"], by=world["users"]["bob"])
    response = api(world, persona, "/api/v1/lines/deleted/", data={"since": since.isoformat()})
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {line_ids[name] for name in EXPECTED_LINES[persona]}
    assert {row["kind"] for row in response.json()["results"]} <= {"line"}


@pytest.mark.parametrize("route", REFERENCE_ROUTES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_reference_lists_open_to_every_token(world, persona, route):
    response = api(world, persona, f"/api/v1/{route}/")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert len(response.json()) > 0


def test_reference_lists_name_codes(world):
    sectors = {row["code"]: row for row in api(world, "bob", "/api/v1/sectors/").json()}
    assert sectors["PRO"]["parent"] is None
    assert any(row["parent"] == "PRO" for row in sectors.values())
    indicators = api(world, "bob", "/api/v1/indicators/").json()
    assert {"plan", "type", "unit", "successor", "successor_plan"} <= set(indicators[0])
    locations = {row["code"]: row for row in api(world, "bob", "/api/v1/locations/").json()}
    assert locations["15"]["level"] == "department"
    assert locations["1501"]["parent"] == "15"
    assert not any(row["level"] == "district" for row in locations.values())
    organisations = {row["acronym"] for row in api(world, "bob", "/api/v1/organisations/").json()}
    assert {"HIAS", "CARITAS"} <= organisations


@pytest.mark.parametrize("persona", PERSONAS)
def test_figures_are_the_published_edition_for_everyone(world, persona, ivan):
    assert api(world, persona, "/api/v1/figures/2023-09/").status_code == 404
    assert api(world, persona, "/api/v1/figures/").json() == []
    MonthlyReport.objects.filter(pk=world["a"].report_id).update(status=ReportStatus.APPROVED)
    edition = sitrep.publish_edition(period=world["period"], by=ivan)

    response = api(world, persona, "/api/v1/figures/2023-09/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page_json = Client().get("/sitreps/2023-09/1/json/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert response.json() == page_json
    assert response.json()["edition"]["number"] == edition.number
    months = api(world, persona, "/api/v1/figures/").json()
    assert [(row["month"], row["edition"]) for row in months] == [("2023-09", 1)]
    assert months[0]["url"].endswith("/api/v1/figures/2023-09/")


def test_figures_of_a_month_not_written_yyyy_mm_are_not_found(world):
    assert api(world, "anonymous", "/api/v1/figures/2023-13/").status_code == 404


def test_session_of_a_signed_in_user_reads_the_api(world, alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/api/v1/lines/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world["a"].pk]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_only_reads(world, method):
    for url in ("/api/v1/lines/", "/api/v1/sectors/", "/api/v1/figures/2023-09/"):
        response = getattr(Client(), method)(
            url, HTTP_AUTHORIZATION=f"Token {world['keys']['ivan']}")
        assert response.status_code == 405, url
    assert ActivityLine.objects.count() == 2


def test_root_and_browsable_page(world):
    assert "lines" in api(world, "anonymous", "/api/v1/").json()
    response = api(world, "alice", "/api/v1/lines/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Activity lines the token" in response.content


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

def test_only_the_keys_hash_is_stored(world):
    key = world["keys"]["alice"]
    token = ApiToken.objects.get(user=world["users"]["alice"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute("select * from partners_apitoken")
        stored = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert key not in stored


def test_a_revoked_token_is_refused(world):
    call_command("api_token", "alice", "--revoke", world["keys"]["alice"][:8], stdout=io.StringIO())
    response = api(world, "alice", "/api/v1/sectors/")
    assert response.status_code == 401
    assert response.json()["detail"] == str(authentication.INVALID)


def test_a_new_key_never_starts_with_a_dash(alice, monkeypatch):
    """A key starting with "-" would be read as an option by `api_token --revoke PREFIX`
    (CI met one: a random key did)."""
    from partners import tokens

    drawn = iter(["-LwZ4-LH" + "a" * 35, "-second" + "b" * 36, "Good" + "c" * 39])
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda size: next(drawn))
    token, key = create_api_token(user=alice, name="R")
    assert key.startswith("Good") and token.prefix == key[:ApiToken.PREFIX_LENGTH]


def test_an_older_key_starting_with_a_dash_is_revoked_with_an_equals_sign(alice):
    token, key = create_api_token(user=alice, name="R")
    ApiToken.objects.filter(pk=token.pk).update(prefix="-LwZ4-LH")
    call_command("api_token", "alice", "--revoke=-LwZ", stdout=io.StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_deactivated_accounts_tokens_stop_at_once(world):
    assert api(world, "paula", "/api/v1/lines/").status_code == 200
    user = world["users"]["paula"]
    user.is_active = False
    user.save()
    assert api(world, "paula", "/api/v1/lines/").status_code == 401
    assert api(world, "paula", "/api/v1/sectors/").status_code == 401


def test_an_unknown_key_is_refused(world):
    response = Client().get("/api/v1/lines/", HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401


def test_a_malformed_header_is_refused(world):
    response = Client().get("/api/v1/lines/", HTTP_AUTHORIZATION="Token two words")
    assert response.status_code == 401
    assert response.json()["detail"] == str(authentication.MALFORMED)


@pytest.mark.parametrize("parameter", ["token", "key", "api_key"])
def test_a_key_in_the_url_is_refused_even_with_the_header(world, parameter):
    key = world["keys"]["alice"]
    response = api(world, "alice", f"/api/v1/lines/?{parameter}={key}")
    assert response.status_code == 401
    assert response.json()["detail"] == str(authentication.TOKEN_IN_URL)
    anonymous = Client().get(f"/api/v1/figures/?{parameter}={key}")
    assert anonymous.status_code == 401


def test_last_used_is_recorded(world):
    token = ApiToken.objects.get(user=world["users"]["bob"])
    assert token.last_used_at is None
    api(world, "bob", "/api/v1/sectors/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_requests_are_throttled(world, settings, alice):
    settings.API_THROTTLE_RATE = "2/min"
    assert api(world, "alice", "/api/v1/sectors/").status_code == 200
    assert api(world, "alice", "/api/v1/lines/").status_code == 200
    third = api(world, "alice", "/api/v1/sectors/")
    assert third.status_code == 429
    assert "Retry-After" in third
    # Per user: bob's token is counted apart; a signed-in browser is not a script.
    assert api(world, "bob", "/api/v1/sectors/").status_code == 200
    client = Client()
    client.force_login(alice)
    assert client.get("/api/v1/sectors/", HTTP_ACCEPT="application/json").status_code == 200


# --------------------------------------------------------------------------------------------
# Lines: fields, filters, paging, incremental refresh, CSV
# --------------------------------------------------------------------------------------------

def test_a_line_has_every_column(world):
    line = world["a"]
    row = api(world, "ivan", "/api/v1/lines/", data={"organisation": "hias"}).json()["results"][0]
    assert list(row) == rows.LINE_COLUMNS
    assert row["status"] == "submitted"
    assert row["month"] == "2023-09"
    assert (row["organisation"], row["sector"], row["department"]) == ("HIAS", "PRO", "15")
    assert row["indicator"] == line.indicator.code
    assert [row[name] for name in ("girls", "boys", "women", "men", "other_under_18",
                                   "other_adults", "other_unknown_age")] == [
        line.girls, line.boys, line.women, line.men, line.other_under_18, line.other_adults,
        line.other_unknown_age]
    assert row["new_beneficiaries"] == line.new_beneficiaries
    assert row["total_monthly"] == line.total_monthly
    assert row["province"] is None and row["district"] is None


def test_a_district_line_names_its_province(world, report, alice):
    district = Location.objects.filter(level="district", parent__code="1501").first()
    line = LineFactory(report=report, department=district.parent.parent, location=district,
                       created_by=alice)
    rows_by_id = {row["id"]: row for row in api(world, "alice", "/api/v1/lines/").json()["results"]}
    assert rows_by_id[line.pk]["province"] == "1501"
    assert rows_by_id[line.pk]["district"] == district.code


@pytest.mark.parametrize(("query", "expected"), [
    ({"month": "2023-09"}, {"a", "b"}),
    ({"month": "2023-10"}, set()),
    ({"month_from": "2023-09", "month_to": "2023-09"}, {"a", "b"}),
    ({"month_from": "2023-10"}, set()),
    ({"month_to": "2023-08"}, set()),
    ({"sector": "PRO"}, {"a", "b"}),
    ({"sector": "HEA"}, set()),
    ({"department": "15"}, {"a", "b"}),
    ({"department": "PE150000"}, {"a", "b"}),
    ({"department": "04"}, set()),
    ({"organisation": "CARITAS"}, {"b"}),
    ({"status": "submitted"}, {"a"}),
    ({"status": "draft"}, {"b"}),
])
def test_filters(world, query, expected):
    response = api(world, "ivan", "/api/v1/lines/", data=query)
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {world[n].pk for n in expected}


@pytest.mark.parametrize(("query", "field"), [
    ({"month": "09/2023"}, "month"), ({"month_from": "2023-13"}, "month_from"),
    ({"status": "lost"}, "status"), ({"updated_since": "yesterday"}, "updated_since"),
])
def test_bad_filters_are_a_clear_400(world, query, field):
    response = api(world, "ivan", "/api/v1/lines/", data=query)
    assert response.status_code == 400
    assert field in response.json()


def test_deletions_need_a_since(world):
    response = api(world, "ivan", "/api/v1/lines/deleted/")
    assert response.status_code == 400
    assert "since" in response.json()


def _many_lines(report, user, count: int) -> list[ActivityLine]:
    provinces = Location.objects.filter(parent__code="15", level="province").order_by("code")
    combos = itertools.product(provinces, PopulationType.values, [Modality.SERVICE, Modality.IN_KIND])
    lines = []
    for province, population, modality in itertools.islice(combos, count):
        lines.append(LineFactory(report=report, location=province, population_type=population,
                                 modality=modality, created_by=user))
    assert len(lines) == count
    return lines


def test_paging_with_limit_and_offset(world, report, alice):
    _many_lines(report, alice, 4)
    ids = list(ActivityLine.objects.filter(report=report).order_by("pk").values_list("pk", flat=True))
    first = api(world, "alice", "/api/v1/lines/", data={"limit": 2}).json()
    assert first["count"] == 5
    assert [row["id"] for row in first["results"]] == ids[:2]
    assert first["previous"] is None
    second = api(world, "alice", first["next"]).json()
    assert [row["id"] for row in second["results"]] == ids[2:4]
    third = api(world, "alice", second["next"]).json()
    assert [row["id"] for row in third["results"]] == ids[4:]
    assert third["next"] is None


def test_the_page_size_is_capped(world):
    response = api(world, "ivan", "/api/v1/lines/", data={"limit": 50_000, "offset": 0})
    assert response.status_code == 200
    assert response.json()["next"] is None
    paged = api(world, "ivan", "/api/v1/lines/", data={"limit": 50_000, "offset": 1}).json()
    assert "limit=10000" in paged["previous"]


def test_updated_since_gives_changes_and_deletions(world, report, alice, paula):
    old, kept = world["a"], _many_lines(report, alice, 1)[0]
    old_id = old.pk
    workflow.return_report(report=MonthlyReport.objects.get(pk=report.pk), by=paula, reason="Check")
    since = timezone.now()
    ActivityLine.objects.filter(pk=kept.pk).update(updated_at=since - dt.timedelta(hours=1))
    MonthlyReport.objects.filter(pk=report.pk).update(updated_at=since - dt.timedelta(hours=1))
    services.delete_line(line=old, by=alice)
    changed = api(world, "alice", "/api/v1/lines/", data={"updated_since": since.isoformat()})
    # Deleting a line touches its report, so its other lines come again: harmless for a refresh.
    assert {row["id"] for row in changed.json()["results"]} == {kept.pk}
    deleted = api(world, "alice", "/api/v1/lines/deleted/", data={"since": since.isoformat()})
    assert deleted.json()["results"][0]["kind"] == "line"
    assert [row["id"] for row in deleted.json()["results"]] == [old_id]
    later = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    assert api(world, "alice", "/api/v1/lines/", data={"updated_since": later}).json()["count"] == 0
    assert api(world, "alice", "/api/v1/lines/deleted/", data={"since": later}).json()["count"] == 0


def test_a_status_change_brings_the_lines_back(world, report, paula):
    since = timezone.now()
    ActivityLine.objects.filter(report=report).update(updated_at=since - dt.timedelta(hours=1))
    MonthlyReport.objects.filter(pk=report.pk).update(updated_at=since - dt.timedelta(hours=1))
    assert api(world, "paula", "/api/v1/lines/",
               data={"updated_since": since.isoformat()}).json()["count"] == 0
    workflow.approve_report(report=MonthlyReport.objects.get(pk=report.pk), by=paula)
    rows_now = api(world, "paula", "/api/v1/lines/",
                   data={"updated_since": since.isoformat(), "status": "approved"}).json()
    assert [row["id"] for row in rows_now["results"]] == [world["a"].pk]


def test_lines_as_csv_for_excel(world):
    response = api(world, "ivan", "/api/v1/lines/", data={"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(table[0]) == rows.LINE_COLUMNS
    assert {int(row["id"]) for row in table} == {world["a"].pk, world["b"].pk}
    assert response["X-Total-Count"] == "2"


def test_csv_pages_hold_the_json_pages_values_line_for_line(world, report, alice):
    """The CSV's cells come from rows.line_cells (no dict per line), the JSON's from
    rows.line_row: the same values, for lines at department, province and district level,
    cash and not, RMRP and not."""
    from decimal import Decimal

    lines = _many_lines(report, alice, 3)
    ActivityLine.objects.filter(pk=lines[0].pk).update(
        location=Location.objects.get(code="1501"))
    ActivityLine.objects.filter(pk=lines[1].pk).update(
        location=Location.objects.get(code="150122"), rmrp_activity=False,
        description='dice "hola", y\nsigue')
    ActivityLine.objects.filter(pk=lines[2].pk).update(cash_usd=Decimal("1250.50"),
                                                       modality="cash",
                                                       delivery_mechanism="otc")
    as_json = api(world, "ivan", "/api/v1/lines/", data={"limit": 3, "offset": 1}).json()
    as_csv = api(world, "ivan", "/api/v1/lines/", data={"limit": 3, "offset": 1,
                                                          "format": "csv"})
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))

    def as_text(name, value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if name == "cash_usd":
            return f"{Decimal(str(value)):.2f}"
        if name == "updated_at":
            return str(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        return str(value)

    assert len(table) == len(as_json["results"]) == 3
    for row, expected in zip(table, as_json["results"], strict=True):
        assert row == {name: as_text(name, value) for name, value in expected.items()}
    assert {row["district"] for row in table} >= {"150122"}
    assert {row["province"] for row in table} >= {"1501"}
    assert {row["rmrp_activity"] for row in table} == {"true", "false"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="CSV written by PostgreSQL")
def test_the_csv_postgresql_writes_is_byte_for_byte_pythons(world, report, alice):
    """pg_csv's lines against rows.line_cells through Python's csv writer, on texts that need
    quoting or not, NULLs and empty strings, whole and fractional seconds, every place level."""
    from decimal import Decimal

    from reporting.api import pg_csv

    lines = _many_lines(report, alice, 4)
    texts = ['dice "hola", y\nsigue', "coma, sola", "  espacios  ", "retorno\r", "ñandú ☂",
             "", "=1+1", 'solo "comillas"']
    for number, line in enumerate(ActivityLine.objects.filter(report=report).order_by("pk")):
        ActivityLine.objects.filter(pk=line.pk).update(
            description=texts[number % len(texts)], activity_name=texts[-number % len(texts)],
            rmrp_activity=number % 2 == 0,
            location=Location.objects.get(code=("15", "1501", "150122", "1502", "150101")[
                number % 5]),
            cash_usd=Decimal("1250.50") if number == 1 else None,
            modality=Modality.CASH if number == 1 else Modality.SERVICE,
            delivery_mechanism="otc" if number == 1 else "",
            updated_at=dt.datetime(2023, 9, 1, 12, 30, tzinfo=dt.UTC) if number == 2
            else timezone.now())
    assert len(lines) == 4
    MonthlyReport.objects.filter(pk=report.pk).update(
        updated_at=dt.datetime(2023, 1, 1, tzinfo=dt.UTC))  # a line's time is its own
    queryset = ActivityLine.objects.with_changed_at().order_by("pk")
    written = list(queryset.annotate(csv_line=pg_csv.csv_line())
                   .values_list("csv_line", flat=True))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        rows.line_cells(values) for values in queryset.values_list(*rows.LINE_VALUES))
    assert "\r\n".join(written) + "\r\n" == out.getvalue()
    assert any(line.endswith("2023-09-01 12:30:00+00:00") for line in written)


def test_paging_skips_lines_the_token_may_not_see_between_its_own(world, report, alice, org_b,
                                                                  bob, protection, period):
    """A page is fetched as a range of ids of the visible lines: another organisation's lines
    between two of the page's never slip in."""
    other = MonthlyReport.objects.get(organisation=org_b, sector=protection, period=period)
    for population in (PopulationType.TRANSIT, PopulationType.HOST, PopulationType.PENDULAR):
        LineFactory(report=report, population_type=population, created_by=alice)
        LineFactory(report=other, population_type=population, created_by=bob)
    own = list(ActivityLine.objects.filter(report=report).order_by("pk")
               .values_list("pk", flat=True))
    assert len(own) == 4
    for format_ in ("json", "csv"):
        seen, offset = [], 0
        while offset < len(own):
            response = api(world, "alice", "/api/v1/lines/",
                           data={"limit": 2, "offset": offset, "format": format_})
            if format_ == "json":
                seen += [row["id"] for row in response.json()["results"]]
            else:
                seen += [int(row["id"]) for row in csv.DictReader(
                    io.StringIO(response.content.decode("utf-8-sig")))]
            offset += 2
        assert seen == own, format_


def test_an_empty_csv_still_has_its_header(world):
    response = api(world, "carl", "/api/v1/lines/", data={"format": "csv"})
    header = response.content.decode("utf-8").removeprefix("\ufeff").splitlines()
    assert header == [",".join(rows.LINE_COLUMNS)]


def test_reference_list_as_csv(world):
    response = api(world, "bob", "/api/v1/locations/", data={"format": "csv"})
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {"code": "15", "name": "Lima", "level": "department", "parent": ""} in [
        dict(row) for row in table]


@pytest.mark.parametrize("size", [3, 40])
def test_a_page_costs_the_same_queries_whatever_the_size(world, report, alice, size,
                                                         django_assert_num_queries):
    _many_lines(report, alice, size)
    api(world, "ivan", "/api/v1/sectors/")  # last_used_at written: later calls only read it
    # The token (with its user), the count, the page's ids, their rows.
    with django_assert_num_queries(4):
        response = api(world, "ivan", "/api/v1/lines/", data={"limit": 1000})
    assert len(response.json()["results"]) == size + 2


# --------------------------------------------------------------------------------------------
# Schema, command, account page
# --------------------------------------------------------------------------------------------

def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    schema = (tmp_path / "s.yaml").read_text()
    assert "/api/v1/lines/" in schema and "tokenAuth" in schema


def test_the_schema_is_served(db):
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/figures/" in response.content


def test_the_reference_page_lays_out_every_route_of_the_schema(db, tmp_path):
    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "s.json"))
    paths = json.loads((tmp_path / "s.json").read_text())["paths"]
    page = Client().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for path in paths:
        assert f"GET {path}</code>" in page
    # The parameters and the row fields come from the schema, the chrome in the reader's language.
    assert "<code>updated_since</code>" in page and "<code>new_beneficiaries</code>" in page
    assert "Parámetros" in page
    assert "Parameters" in Client().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_every_field_of_every_answer_is_described(tmp_path):
    """A data user reading /api/docs/ or the schema learns what each field holds."""
    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "s.json"))
    components = json.loads((tmp_path / "s.json").read_text())["components"]["schemas"]
    undescribed = [f"{name}.{field}" for name, schema in components.items()
                   if not name.startswith("Paginated")
                   for field, spec in schema.get("properties", {}).items()
                   if not spec.get("description")]
    assert undescribed == []


def test_the_command_prints_a_key_once_and_revokes(alice):
    out = io.StringIO()
    call_command("api_token", "alice", "--name", "R script", stdout=out)
    key = out.getvalue().splitlines()[-1]
    token = ApiToken.objects.get(user=alice)
    assert token.name == "R script"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    out = io.StringIO()
    call_command("api_token", "alice", "--revoke", stdout=out)
    token.refresh_from_db()
    assert token.is_revoked
    assert key not in out.getvalue()


def test_the_command_names_an_unknown_user(db):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="nobody"):
        call_command("api_token", "nobody")


def test_the_account_page_creates_lists_and_revokes(alice):
    client = Client()
    client.force_login(alice)
    assert client.get("/account/api-tokens/").status_code == 200
    created = client.post("/account/api-tokens/", {"name": "Power BI"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=alice)
    key = created.context["new_key"]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.encode() in created.content
    listed = client.get("/account/api-tokens/")
    assert key.encode() not in listed.content
    assert f"{token.prefix}…".encode() in listed.content
    assert Client().get("/api/v1/sectors/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get(f"/account/api-tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.is_revoked
    assert Client().get("/api/v1/sectors/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_a_token_needs_a_name(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/account/api-tokens/", {"name": "  "})
    assert response.context["new_key"] is None
    assert not ApiToken.objects.exists()


def test_nobody_revokes_anothers_token(alice, bob):
    token, key = create_api_token(user=bob, name="Bob's")
    client = Client()
    client.force_login(alice)
    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert not token.is_revoked


def test_the_account_page_needs_a_sign_in(db):
    response = Client().get("/account/api-tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --------------------------------------------------------------------------------------------
# regional-5w/: the regional 5W's rows, for IM officers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona, status", [
    ("anonymous", 401), ("alice", 403), ("bob", 403), ("paula", 403), ("carl", 403),
    ("ivan", 200)])
def test_the_regional_5w_is_the_im_team_s(world, persona, status):
    assert api(world, persona, "/api/v1/regional-5w/?month=2023-09").status_code == status


def test_the_regional_5w_gives_the_export_s_rows_of_approved_lines(world):
    from reporting.models import ReportStatus
    from reporting.regional.columns import HEADER

    line = world["a"]
    line.report.status = ReportStatus.APPROVED
    line.report.save(update_fields=["status"])
    body = api(world, "ivan", "/api/v1/regional-5w/?month=2023-09").json()
    assert body["count"] == 1  # B's draft is not exported
    (row,) = body["results"]
    assert list(row) == list(HEADER)
    assert row["Country Admin1"] == line.department.r4v_name
    assert row["Month"] == "2023-09"
    assert row["New beneficiaries of the month"] == line.new_beneficiaries
    csv_text = api(world, "ivan", "/api/v1/regional-5w/?month=2023-09&format=csv").content
    assert csv_text.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)


@pytest.mark.parametrize("query", ["", "?month=2023-13", "?month=2023-09&month_to=2023-01"])
def test_the_regional_5w_names_a_bad_month(world, query):
    response = api(world, "ivan", f"/api/v1/regional-5w/{query}")
    assert response.status_code == 400
