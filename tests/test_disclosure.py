"""Disclosure control on public figures (issue 15 point 3, DESIGN §7): no non-zero figure below
the threshold reaches the public, and none can be worked out from a published total — on
hand-made tables and on random ones — while reviewers still see the true figures, marked."""

from __future__ import annotations

import itertools
import random

import pytest
from django.test import Client, override_settings

from reporting.models import SitrepEdition
from reporting.numbers import disclosure, sitrep
from reporting.numbers.disclosure import SMALL, WITHHELD, Rule, protect

RULE = Rule(5, 10, ("PRO-GBV",))


def table(**values):
    return values, dict.fromkeys(values, 5)


def test_a_single_small_figure_is_hidden_with_the_next_smallest():
    values, limits = table(lima=120, callao=40, tumbes=3)
    hidden, total_hidden = protect(values, limits, total=163)
    # "< 5" alone would be 163 - 120 - 40 = 3: Callao is withheld too.
    assert hidden == {"tumbes": SMALL, "callao": WITHHELD} and not total_hidden


def test_without_a_total_only_the_small_figure_is_hidden():
    values, limits = table(lima=120, callao=40, tumbes=3)
    assert protect(values, limits, total=None) == ({"tumbes": SMALL}, False)


def test_no_small_figure_hides_nothing():
    values, limits = table(lima=120, callao=40, tumbes=0)
    assert protect(values, limits, total=160) == ({}, False)


def test_a_table_with_one_figure_hides_its_total():
    values, limits = table(lima=3, callao=0)
    assert protect(values, limits, total=3) == ({"lima": SMALL}, True)


def test_a_withheld_figure_that_would_still_tell_the_small_one_brings_a_third():
    # 1 and 5 hidden, sum 6 known: "< 5" is 1..4 and the withheld one 5..5 (the smallest shown
    # is 5 itself... once hidden, the next shown is 7), so 1 would follow; a third is withheld.
    values, limits = table(a=1, b=5, c=7, d=200)
    hidden, _ = protect(values, limits, total=213)
    assert hidden["a"] == SMALL and len(hidden) >= 2
    assert_nothing_recoverable(values, limits, hidden, 213)


def test_stricter_sectors_use_their_threshold():
    data = report(sectors={"PRO": 900, "PRO-GBV": 7, "HEA": 400}, strict=True)
    hidden = {(t, k, c): kind for t, k, c, kind in disclosure.hidden_cells(data, RULE)}
    assert hidden[("sectors", "PRO-GBV", "month")] == SMALL  # 7 < 10
    assert ("sectors", "HEA", "month") in hidden  # the next smallest, withheld


def report(*, sectors=None, departments=None, populations=None, strict=False) -> dict:
    """A situation report's data with the tables given (month and year to date the same)."""
    sectors = sectors or {"HEA": 400, "EDU": 300}
    departments = departments or {"15": 500, "07": 200}
    populations = populations or {"destination": 600, "transit": 100}
    people = sum(departments.values())
    return {
        "people_assisted": {"month": people, "ytd": people,
                            "sum_of_sectors_month": sum(sectors.values()),
                            "sum_of_sectors_ytd": sum(sectors.values())},
        "sectors": [{"code": c, "month": v, "ytd": v} for c, v in sectors.items()],
        "subsectors": [],
        "cbi": {"month": 50, "ytd": 50},
        "departments": [{"code": c, "name": c, "month": v, "ytd": v}
                        for c, v in departments.items()],
        "population_types": [{"code": c, "month": v, "ytd": v} for c, v in populations.items()],
    }


def assert_nothing_recoverable(values, limits, hidden, total):
    """Brute force what a reader knows — each "< T" is 1..T−1, each withheld figure at least its
    threshold and at most the smallest figure shown, and their sum — and check that every hidden
    figure has at least two possible values."""
    shown = [v for k, v in values.items() if v and k not in hidden]
    known = total - sum(v for k, v in values.items() if k not in hidden)
    ceiling = min(shown) if shown else total
    ranges = {k: range(1, limits[k]) if kind == SMALL else range(limits[k], ceiling + 1)
              for k, kind in hidden.items()}
    keys = list(ranges)
    possible = {k: set() for k in keys}
    for combo in itertools.product(*(ranges[k] for k in keys)):
        if sum(combo) == known:
            for k, v in zip(keys, combo, strict=True):
                possible[k].add(v)
    for k in keys:
        assert values[k] in possible[k]
        assert len(possible[k]) >= 2, (values, hidden, k, possible[k])


@pytest.mark.parametrize("seed", range(300))
def test_random_tables_show_nothing_small_and_nothing_recoverable(seed):
    rng = random.Random(seed)
    values = {f"r{i}": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 45, 300])
              for i in range(rng.randint(1, 5))}
    limits = {k: rng.choice([5, 5, 10]) for k in values}
    total = sum(values.values())
    hidden, total_hidden = protect(values, limits, total)
    for key, value in values.items():
        if key not in hidden:
            assert value == 0 or value >= limits[key]
    if hidden and not total_hidden:
        assert_nothing_recoverable(values, limits, hidden, total)
    if total_hidden:
        assert not [v for k, v in values.items() if v and k not in hidden]


# The published report --------------------------------------------------------------------------


@pytest.fixture
def small_edition(period, ivan, monkeypatch):
    """An edition whose departments include Tumbes with 3 people."""
    data = report(departments={"15": 500, "07": 200, "24": 3})
    data.update(period=period.code, generated_at="2023-10-05T10:00:00+00:00",
                department_names={}, partners={"total": 0, "rmo": 0, "appealing": 0,
                                               "reporting": 0, "names": [], "also_listed": []},
                key_figures={"refugees": None, "refugees_source": "", "refugees_date": None},
                funding={"required_usd": None, "funded_usd": None, "percent": None,
                         "source": "", "date": None, "sectors": []},
                narratives={"situation": {"es": "", "en": ""},
                            "coordination": {"es": "", "en": ""}, "highlights": []})
    data["people_assisted"]["month"] = data["people_assisted"]["ytd"] = 703
    monkeypatch.setattr(sitrep, "build_report", lambda p: dict(data))
    return sitrep.publish_edition(period=period, by=ivan)


def test_the_public_sees_less_than_five_and_reviewers_the_truth(small_edition, client, paula):
    url = f"/sitreps/{small_edition.period.code}/{small_edition.number}/"
    public = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "&lt; 5" in public and "…" in public
    assert "figures between 1 and 4 are shown as" in public
    json_rows = {row["code"]: row for row in client.get(url + "json/").json()["departments"]}
    assert json_rows["24"]["month"] is None
    assert json_rows["24"]["suppressed"] == {"month": SMALL, "ytd": SMALL}
    assert json_rows["07"]["suppressed"] == {"month": WITHHELD, "ytd": WITHHELD}
    assert json_rows["15"]["month"] == 500
    reviewer = Client()
    reviewer.force_login(paula)
    marked = reviewer.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Only reviewers see this list" in marked
    assert "24 · month: 3 — below 5" in marked
    assert "07 · month: 200 — withheld" in marked
    assert "Only reviewers see this list" not in public


def test_the_public_pdf_hides_the_small_figure(small_edition, client):
    from django.utils import translation

    with translation.override("en"):
        html = sitrep.render_standalone(disclosure.for_readers(small_edition.data),
                                        edition=small_edition, for_pdf=True)
    assert "&lt; 5" in html and ">3<" not in html


def test_an_edition_published_before_the_rule_keeps_its_figures(small_edition, client, period,
                                                                 ivan):
    data = dict(small_edition.data)
    del data["disclosure"]
    SitrepEdition.objects.filter(pk=small_edition.pk).update(data=data)
    url = f"/sitreps/{period.code}/{small_edition.number}/json/"
    rows = {row["code"]: row for row in client.get(url).json()["departments"]}
    assert rows["24"]["month"] == 3 and "suppressed" not in rows["24"]
    again = sitrep.publish_edition(period=period, by=ivan)  # republished: gains the rule
    rows = {row["code"]: row for row in client.get(
        f"/sitreps/{period.code}/{again.number}/json/").json()["departments"]}
    assert rows["24"]["month"] is None


@override_settings(DISCLOSURE_THRESHOLD=10)
def test_the_threshold_is_a_setting(period, ivan, monkeypatch):
    data = report(departments={"15": 500, "07": 200, "24": 7})
    assert disclosure.stamp(data)["disclosure"]["rule"]["threshold"] == 10
    cells = disclosure.hidden_cells(data, disclosure.current_rule())
    assert ["departments", "24", "month", SMALL] in cells
