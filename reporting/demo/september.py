"""September 2023, the month of the real situation report: the figures the GTRM published, and
the plan of the demo's approved lines that add up to them by the counting rules (no database)."""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from reporting.models import DeliveryMechanism, Modality, PopulationType

# The published report is shared/seed/000_…txt of the project workspace.
#
# The demo's approved September lines add up, under the counting rules of DESIGN §4, to the
# figures the GTRM published for the month. Nothing is written into the report: the figures
# come out of `reporting.numbers.aggregation` from the lines planned here, and
# tests/test_demo_figures.py checks them. How the lines are made:
#
# 1. Cells. The headline counts every department × population type once, at its largest sector
#    figure. Each cell of DOMINANT_CELLS has one such sector; the dominant figures add up to the
#    published 25,290 people assisted.
# 2. The rest of every sector figure is shared out over the cells of SPREAD_CELLS, in proportion
#    to their dominant figure, so it never exceeds it: the cells' maxima stay the dominant figures
#    while the plain sum of the sectors reaches 48,238. `september_cells` checks both.
# 3. Cash. Food Security's cash transfers reach 8,884 people, shared over its cells; Shelter's 250
#    (rent in Lima and La Libertad) fall in cells where food cash reaches more people, so CVA,
#    counted by the same max-per-cell rule, is Food Security's 8,884.
# 4. Each cell's figure for a sector is split among the organisations whose September report in
#    the sector is approved (taking turns, leads first and with larger shares; more of them for
#    larger figures, so that each has a share), then over the sector's indicators. A sector's
#    lead agencies (its sub-sectors' too) always have an approved September report.

SEPTEMBER = dt.date(2023, 9, 1)
PUBLISHED_SECTOR_FIGURES = {
    "EDU": 1_995, "FS": 10_655, "HEA": 11_054, "HT": 60, "INT": 7_980, "NUT": 403,
    "PRO": 12_483, "SHE": 3_457, "WASH": 151,
}
PUBLISHED_PEOPLE_ASSISTED = 25_290
PUBLISHED_CBI = 8_884

Cell = tuple[str, str]  # department ubigeo, population type
DEST, TRANSIT, HOST, PENDULAR = (
    PopulationType.DESTINATION.value, PopulationType.TRANSIT.value, PopulationType.HOST.value,
    PopulationType.PENDULAR.value,
)

# sector → {cell: people}: the sector reaching most people in each cell, and how many.
DOMINANT_CELLS: dict[str, dict[Cell, int]] = {
    # Regularization support in Lima, the III Entregatón in Trujillo, the two borders.
    "PRO": {
        ("15", DEST): 6_800, ("13", DEST): 2_150, ("24", TRANSIT): 1_150,
        ("23", TRANSIT): 720, ("11", DEST): 400, ("23", PENDULAR): 260,
    },
    # Assistance and orientation points (PAO) in Piura and Desaguadero, Callao, Arequipa.
    "HEA": {
        ("20", DEST): 1_900, ("21", TRANSIT): 1_300, ("07", DEST): 1_250, ("04", DEST): 1_050,
        ("13", HOST): 600, ("23", DEST): 520, ("08", DEST): 300, ("24", PENDULAR): 280,
    },
    # Food cash for refugee, migrant and host-community households.
    "FS": {
        ("15", HOST): 2_400, ("14", DEST): 1_350, ("20", HOST): 700, ("24", DEST): 650,
        ("07", HOST): 640, ("12", DEST): 450, ("04", HOST): 420,
    },
}

# sector → the cells where the rest of its figure was reached (never cells it dominates).
SPREAD_CELLS: dict[str, tuple[Cell, ...]] = {
    "PRO": (("20", DEST), ("21", TRANSIT), ("07", DEST), ("04", DEST), ("13", HOST),
            ("15", HOST), ("14", DEST), ("24", DEST)),
    "HEA": (("15", DEST), ("13", DEST), ("24", TRANSIT), ("23", TRANSIT), ("11", DEST),
            ("15", HOST), ("14", DEST), ("20", HOST)),
    "FS": (("15", DEST), ("13", DEST), ("24", TRANSIT), ("23", TRANSIT), ("23", PENDULAR),
           ("20", DEST), ("21", TRANSIT), ("07", DEST), ("04", DEST)),
    "INT": (("15", DEST), ("13", DEST), ("20", DEST), ("04", DEST), ("07", DEST), ("14", DEST),
            ("15", HOST), ("11", DEST), ("23", DEST), ("08", DEST)),
    "SHE": (("15", DEST), ("13", DEST), ("24", TRANSIT), ("23", TRANSIT), ("21", TRANSIT),
            ("20", DEST), ("14", DEST)),
    "EDU": (("15", DEST), ("13", DEST), ("04", DEST), ("20", DEST), ("07", DEST), ("14", DEST),
            ("15", HOST)),
    "NUT": (("15", DEST), ("15", HOST), ("21", TRANSIT), ("24", TRANSIT), ("20", DEST)),
    "WASH": (("24", TRANSIT), ("23", TRANSIT), ("21", TRANSIT)),
    "HT": (("24", TRANSIT), ("23", TRANSIT)),
}

# Cash for rent: "cash transfers to access shelter to 250 people in La Libertad and Lima".
SHELTER_CASH: dict[Cell, int] = {("15", DEST): 150, ("13", DEST): 100}
CASH_INDICATORS = {"FS": "FS-01", "SHE": "SHE-01"}
# Food transfers totalled almost USD 330K for 8,884 people.
USD_PER_PERSON = {"FS-01": Decimal("37.10"), "SHE-01": Decimal("62.00")}

# sector → {indicator counting people, not paid in cash: weight}. Protection reports through
# its sub-sectors' indicators too.
SEPTEMBER_INDICATORS: dict[str, dict[str, int]] = {
    "EDU": {"EDU-01": 3, "EDU-02": 2, "EDU-04": 2},
    "FS": {"FS-02": 3, "FS-03": 2},
    "HEA": {"HEA-01": 6, "HEA-02": 2, "HEA-03": 2, "HEA-04": 2},
    "HT": {"HT-01": 1},
    "INT": {"INT-01": 2, "INT-02": 3, "INT-04": 2, "INT-05": 1},
    "NUT": {"NUT-01": 3, "NUT-02": 2, "NUT-03": 2},
    "PRO": {
        "PRO-01": 4, "PRO-02": 6, "PRO-03": 2, "PRO-04": 2, "PRO-CP-01": 1, "PRO-CP-02": 1,
        "PRO-CP-04": 2, "PRO-GBV-01": 1, "PRO-GBV-02": 1, "PRO-HTS-01": 1, "PRO-HTS-02": 1,
    },
    "SHE": {"SHE-02": 3, "SHE-03": 2, "SHE-04": 1},
    "WASH": {"WASH-01": 3, "WASH-02": 1, "WASH-03": 2},
}
IN_KIND_INDICATORS = frozenset({"EDU-02", "FS-02", "FS-03", "NUT-02", "SHE-02", "WASH-01"})
# Who an indicator reaches, for the girls / boys / women / men split.
CHILDREN_ONLY = frozenset({"EDU-01", "EDU-02", "NUT-01", "NUT-02", "PRO-CP-01", "PRO-CP-02",
                           "PRO-CP-04"})
WOMEN_ONLY = frozenset({"NUT-03"})
MOSTLY_WOMEN = frozenset({"HEA-02", "PRO-GBV-01", "PRO-GBV-02"})
ADULTS_ONLY = frozenset({"EDU-04", "INT-01", "INT-02", "INT-04", "INT-05"})
# Case work: a partner reaches tens or a few hundred people a month this way, not thousands.
CASE_WORK = frozenset({"PRO-03", "PRO-CP-01", "PRO-GBV-01", "PRO-HTS-01"})

# The places within each department where the lines are reported (department, province or
# district): the districts of Lima the sitrep names, Trujillo, the border crossings.
SEPTEMBER_PLACES = {
    "15": ("15", "1501", "150132", "150135", "150103"),
    "13": ("13", "1301", "130101"),
    "20": ("20", "2001", "200101"),
    "24": ("24", "2401", "2403", "240302"),
    "23": ("23", "2301", "230101"),
    "21": ("21", "2104", "210402"),
    "04": ("04", "0401"),
    "07": ("07", "0701"),
    "14": ("14", "1401"),
    "11": ("11", "1101"),
    "08": ("08", "0801"),
    "12": ("12", "1201"),
}


# --------------------------------------------------------------------------------------------
# The plan of the lines (see the comment at the top)
# --------------------------------------------------------------------------------------------

def apportion(total: int, weights: dict) -> dict:
    """Split `total` into whole numbers in proportion to `weights`, by largest remainder (ties
    go to the earlier key), so that the parts always add up to `total`."""
    whole = sum(Fraction(weight) for weight in weights.values())
    exact = {key: Fraction(total) * Fraction(weight) / whole for key, weight in weights.items()}
    shares = {key: math.floor(value) for key, value in exact.items()}
    by_remainder = sorted(
        enumerate(weights), key=lambda item: (shares[item[1]] - exact[item[1]], item[0])
    )
    for _, key in by_remainder[: total - sum(shares.values())]:
        shares[key] += 1
    return shares


def september_cells() -> dict[Cell, dict[str, int]]:
    """Return September 2023's people reached per cell and sector, after checking that they
    give the published sector figures and, by the max-per-cell rule, the published headline."""
    dominant = {
        cell: (sector, people)
        for sector, cells in DOMINANT_CELLS.items()
        for cell, people in cells.items()
    }
    cells = {cell: {sector: people} for cell, (sector, people) in dominant.items()}
    for sector, figure in PUBLISHED_SECTOR_FIGURES.items():
        rest = figure - sum(DOMINANT_CELLS.get(sector, {}).values())
        for cell in SPREAD_CELLS[sector]:
            if cell not in dominant or dominant[cell][0] == sector:
                raise AssertionError(f"{sector} cannot spread into {cell}: no other sector leads it")
        shares = apportion(rest, {cell: dominant[cell][1] for cell in SPREAD_CELLS[sector]})
        for cell, people in shares.items():
            if people > dominant[cell][1]:
                raise AssertionError(f"{sector} would outnumber {dominant[cell][0]} in {cell}")
            if people:
                cells[cell][sector] = people
    for sector, figure in PUBLISHED_SECTOR_FIGURES.items():
        if sum(by_sector.get(sector, 0) for by_sector in cells.values()) != figure:
            raise AssertionError(f"{sector} does not add up to {figure}")
    if sum(max(by_sector.values()) for by_sector in cells.values()) != PUBLISHED_PEOPLE_ASSISTED:
        raise AssertionError(f"The cells' maxima do not add up to {PUBLISHED_PEOPLE_ASSISTED}")
    return cells


@dataclass(frozen=True)
class Stream:
    """People one sector reached in one cell, in cash or otherwise, before it is shared out."""

    sector: str
    cell: Cell
    people: int
    cash: bool


def september_streams() -> list[Stream]:
    """Return the September cells split into cash and other assistance, after checking that
    cash and voucher assistance, counted per cell at its largest sector, is the published CBI."""
    cells = september_cells()
    food_cash = apportion(
        PUBLISHED_CBI, {cell: sectors["FS"] for cell, sectors in cells.items() if "FS" in sectors}
    )
    for cell, people in SHELTER_CASH.items():
        if not people <= min(food_cash.get(cell, 0), cells[cell].get("SHE", 0)):
            raise AssertionError(f"Shelter cash in {cell} must be within Shelter and food cash")
    cva = sum(max(food_cash.get(cell, 0), SHELTER_CASH.get(cell, 0)) for cell in cells)
    if cva != PUBLISHED_CBI:
        raise AssertionError(f"Cash and voucher assistance does not add up to {PUBLISHED_CBI}")
    streams = []
    for cell, sectors in cells.items():
        for sector, people in sectors.items():
            cash = {"FS": food_cash.get(cell, 0), "SHE": SHELTER_CASH.get(cell, 0)}.get(sector, 0)
            if cash:
                streams.append(Stream(sector, cell, cash, cash=True))
            if people > cash:
                streams.append(Stream(sector, cell, people - cash, cash=False))
    return streams


@dataclass(frozen=True)
class PlannedLine:
    indicator: str
    department: str
    location: str
    population_type: str
    modality: str
    implementing_partner: str | None
    girls: int
    boys: int
    women: int
    men: int
    other_under_18: int
    other_adults: int
    new_beneficiaries: int
    total_monthly: int
    cash_usd: Decimal | None
    delivery_mechanism: str = ""


class Contributor(NamedTuple):
    """An organisation with an approved September report in a sector."""

    acronym: str
    lead: bool  # leads the sector: larger shares
    focus: tuple[str, ...] = ()  # the sub-sectors it leads, whose indicators it favours


def plan_september_lines(
    contributors: dict[str, list[Contributor]], partners: list[str]
) -> dict[tuple[str, str], list[PlannedLine]]:
    """Share the September streams out over the organisations with an approved report in each
    sector (in turn, leads first) and return the lines of each (acronym, sector code), with
    `partners` (acronyms) as occasional implementing partners. Deterministic: each sector draws
    from its own seeded generator."""
    streams = september_streams()
    planned: dict[tuple[str, str], list[PlannedLine]] = {}
    for sector in PUBLISHED_SECTOR_FIGURES:
        organisations = contributors.get(sector, [])
        mine = sorted(
            (s for s in streams if s.sector == sector),
            key=lambda s: (-s.people, s.cell, s.cash),
        )
        if not organisations:
            raise AssertionError(f"No approved September report in {sector} to carry its figure")
        rng = random.Random(f"september-2023|{sector}")
        focus = {c.acronym: c.focus for c in organisations}
        totals: dict[tuple, int] = defaultdict(int)
        turn = 0
        for stream, count in zip(mine, _parts(mine, len(organisations)), strict=True):
            takers = [organisations[(turn + n) % len(organisations)] for n in range(count)]
            turn += count
            weights = {c.acronym: 3 if c.lead else rng.choice((1, 1, 2)) for c in takers}
            for acronym, people in apportion(stream.people, weights).items():
                split = _indicator_split(stream, people, focus[acronym], rng)
                for indicator, share in split.items():
                    if not share:
                        continue
                    department, population = stream.cell
                    modality = _september_modality(indicator, stream, rng)
                    partner = None
                    if partners and rng.random() < 0.1:
                        partner = rng.choice([p for p in partners if p != acronym])
                    location = rng.choice(SEPTEMBER_PLACES[department])
                    key = (acronym, indicator, department, location, population, modality, partner)
                    totals[key] += share
        for (acronym, indicator, department, location, population, modality, partner), total in (
            totals.items()
        ):
            girls, boys, women, men, other_young, other_adult = _people(total, indicator, rng)
            cash = None
            if indicator in USD_PER_PERSON:
                cash = (total * USD_PER_PERSON[indicator]).quantize(Decimal("1.00"))
            planned.setdefault((acronym, sector), []).append(PlannedLine(
                indicator=indicator, department=department, location=location,
                population_type=population, modality=modality, implementing_partner=partner,
                girls=girls, boys=boys, women=women, men=men, other_under_18=other_young,
                other_adults=other_adult,
                new_beneficiaries=girls + boys + women + men + other_young + other_adult,
                total_monthly=total,
                cash_usd=cash,
                delivery_mechanism=delivery_mechanism(
                    modality, f"{acronym}|{indicator}|{location}|{population}|{partner}"),
            ))
    return planned


def _parts(streams: list[Stream], organisations: int) -> list[int]:
    """Return how many organisations share each stream: more for the large ones, and more
    still where needed for every organisation with an approved report to have a share."""
    parts = [
        min(organisations, 1 + sum(stream.people >= size for size in (60, 300, 1_500, 4_000)))
        for stream in streams
    ]
    while sum(parts) < organisations:
        can_grow = [
            i for i, stream in enumerate(streams)
            if parts[i] < min(organisations, 6) and stream.people // (parts[i] + 1) >= 10
        ]
        if not can_grow:
            break
        parts[max(can_grow, key=lambda i: (streams[i].people / (parts[i] + 1), -i))] += 1
    return parts


def _indicator_split(stream: Stream, people: int, focus: tuple[str, ...],
                     rng: random.Random) -> dict[str, int]:
    """Split an organisation's share of a stream over one to four of the sector's indicators,
    more for a larger share; a sub-sector's lead favours the sub-sector's indicators."""
    if stream.cash:
        return {CASH_INDICATORS[stream.sector]: people}
    weights = {
        code: weight * (4 if code.startswith(tuple(f"{sub}-" for sub in focus)) else 1)
        for code, weight in SEPTEMBER_INDICATORS[stream.sector].items()
        if people < 500 or code not in CASE_WORK
    }
    count = 1 + sum(people >= size for size in (40, 300, 1_000)) - rng.randint(0, 1)
    chosen = []
    for _ in range(max(1, min(len(weights), count))):
        code = rng.choices(list(weights), weights=list(weights.values()))[0]
        chosen.append(code)
        del weights[code]
    return apportion(
        people, {code: 1 if code in CASE_WORK else rng.randint(2, 5) for code in chosen}
    )


# How the demo's cash reaches people: mostly in hand and by mobile money, as in Peru's CVA.
CASH_MECHANISMS = (
    DeliveryMechanism.CASH_IN_HAND, DeliveryMechanism.MOBILE_MONEY,
    DeliveryMechanism.CASH_IN_HAND, DeliveryMechanism.OVER_THE_COUNTER,
    DeliveryMechanism.MOBILE_MONEY, DeliveryMechanism.PREPAID_CARD,
    DeliveryMechanism.BANK_ACCOUNT,
)


def delivery_mechanism(modality: str, key: str) -> str:
    """Return the delivery mechanism of a demo line: Voucher for a voucher; for cash, one of
    CASH_MECHANISMS picked by `key` (no draw from a generator, so that every figure drawn
    after it stays as the demo always drew it); none for other lines."""
    if modality == Modality.VOUCHER:
        return DeliveryMechanism.VOUCHER
    if modality == Modality.CASH:
        return CASH_MECHANISMS[zlib.crc32(key.encode()) % len(CASH_MECHANISMS)]
    return ""


def _september_modality(indicator: str, stream: Stream, rng: random.Random) -> str:
    if stream.cash:
        return Modality.VOUCHER if rng.random() < 0.2 else Modality.CASH
    drawn = Modality.IN_KIND if indicator in IN_KIND_INDICATORS else Modality.SERVICE
    # The indicator's own modalities (issue 14 point 8): a non-cash line stays non-cash, so
    # the cash figures (CBI) and every other figure of the seed stay as they were.
    allowed = _allowed_modalities().get(indicator)
    if allowed and drawn not in allowed:
        other = [m for m in allowed if m in (Modality.SERVICE, Modality.IN_KIND)]
        if other:
            return other[0]
    return drawn


_ALLOWED: dict[str, list[str]] = {}


def _allowed_modalities() -> dict[str, list[str]]:
    """The modalities each indicator code allows, read once per build."""
    from reporting.models import Indicator

    if not _ALLOWED:
        _ALLOWED.update(Indicator.objects.values_list("code", "modalities"))
    return _ALLOWED


def _people(total: int, indicator: str, rng: random.Random) -> tuple[int, int, int, int, int, int]:
    """Return girls, boys, women, men, other under 18 and other 18+ among the new beneficiaries
    of a line reaching `total` people in the month: 40–70 % of them reached for the first time
    this year."""
    new = min(total, round(total * rng.uniform(0.4, 0.7)))
    girls = boys = women = men = other_young = other_adult = 0
    if indicator in CHILDREN_ONLY:
        girls = round(new * rng.uniform(0.45, 0.55))
        boys = new - girls
    elif indicator in WOMEN_ONLY:
        women = new
    elif indicator in MOSTLY_WOMEN:
        girls = int(new * rng.uniform(0.08, 0.18))
        men = int(new * rng.uniform(0.05, 0.15))
        women = new - girls - men
    else:
        children = 0 if indicator in ADULTS_ONLY else int(new * rng.uniform(0.2, 0.45))
        girls = children // 2
        boys = children - girls
        adults = new - children
        women = int(adults * rng.uniform(0.5, 0.65))
        other_adult, other_young = other_people(adults - women, boys, rng)
        boys -= other_young
        men = adults - women - other_adult
    return girls, boys, women, men, other_young, other_adult


def other_people(men_and_other: int, boys: int, rng: random.Random) -> tuple[int, int]:
    """Return (other 18+, other under 18): now and then one person of another sex, taken
    from the men or the boys. One draw, and only when there are men to take from, so that
    the figures drawn after it stay the ones the demo always drew."""
    if men_and_other <= 3:
        return 0, 0
    draw = rng.random()
    if draw < 0.1:
        return 1, 0
    if draw < 0.15 and boys > 3:
        return 0, 1
    return 0, 0
