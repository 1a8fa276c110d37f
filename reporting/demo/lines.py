"""The demo's activity lines: plausible random ones for July, August and the rest of September,
and September's planned lines made into ActivityLine rows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    IndicatorUnit,
    Location,
    LocationLevel,
    Modality,
    PopulationType,
)

from .september import SEPTEMBER_PLACES, PlannedLine, delivery_mechanism, other_people

# Where the response is: departments named in the situation report, weighted by caseload.
DEPARTMENT_WEIGHTS = {
    "15": 40, "13": 10, "20": 8, "24": 8, "23": 7, "04": 6, "07": 6, "14": 4, "21": 3,
    "11": 3, "08": 2, "12": 2, "02": 1,
}
POPULATION_WEIGHTS = {
    PopulationType.DESTINATION: 70, PopulationType.TRANSIT: 14, PopulationType.HOST: 11,
    PopulationType.PENDULAR: 3, PopulationType.RETURNEE: 2,
}


@dataclass
class Catalogue:
    indicators: dict[int, list[Indicator]]
    departments: dict[str, Location]
    places: dict[str, list[Location]]  # department code → its provinces and districts
    partners: list[Organisation]
    by_code: dict[str, Indicator]  # every active indicator
    places_by_code: dict[str, Location]  # departments and the places of SEPTEMBER_PLACES
    organisations: dict[str, Organisation]  # the implementing partners, by acronym


def read_catalogue() -> Catalogue:
    indicators: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(active=True).select_related("sector"):
        top = indicator.sector.parent_id or indicator.sector_id
        indicators.setdefault(top, []).append(indicator)
    departments = {loc.code: loc for loc in Location.objects.departments()}
    places: dict[str, list[Location]] = {}
    wanted = tuple(DEPARTMENT_WEIGHTS)
    for loc in Location.objects.exclude(level=LocationLevel.DEPARTMENT).order_by("code"):
        if loc.code[:2] in wanted and (
            loc.level == LocationLevel.PROVINCE or loc.code.endswith(("01", "02", "03", "05"))
        ):
            places.setdefault(loc.code[:2], []).append(loc)
    partners = list(Organisation.objects.filter(is_partner=True, type="nngo"))
    by_code = {i.code: i for ii in indicators.values() for i in ii}
    places_by_code = {
        loc.code: loc
        for loc in Location.objects.filter(code__in={c for cs in SEPTEMBER_PLACES.values() for c in cs})
    }
    organisations = {org.acronym: org for org in partners}
    return Catalogue(indicators, departments, places, partners, by_code, places_by_code,
                     organisations)


def random_lines(report, catalogue: Catalogue, rng: random.Random, reporter) -> list[ActivityLine]:
    indicators = catalogue.indicators.get(report.sector_id, [])
    people = [i for i in indicators if i.counts_people]
    others = [i for i in indicators if not i.counts_people]
    chosen: list[Indicator] = rng.sample(people, k=min(len(people), rng.randint(1, 3)))
    if others and rng.random() < 0.35:
        chosen.append(rng.choice(others))
    lines, seen = [], set()
    for indicator in chosen:
        for _ in range(rng.randint(1, 3)):
            department = catalogue.departments[weighted(rng, DEPARTMENT_WEIGHTS)]
            location = department
            if rng.random() < 0.3 and catalogue.places.get(department.code):
                location = rng.choice(catalogue.places[department.code])
            population = weighted(rng, POPULATION_WEIGHTS)
            modality = random_modality(indicator, rng)
            partner = rng.choice(catalogue.partners) if rng.random() < 0.12 else None
            key = (indicator.pk, location.pk, population, modality, partner)
            if key in seen:
                continue
            seen.add(key)
            lines.append(
                random_line(report, indicator, department, location, population, modality, partner,
                      rng, reporter)
            )
    return lines + non_rmrp_lines(report, catalogue, lines, reporter)


# A few organisations also report what they do outside the RMRP (with their own funds, say):
# such a line never counts toward people reached, so the published figures stay as they are.
NON_RMRP_SHARE = 0.08
NON_RMRP_DESCRIPTION = "Actividad con fondos propios, fuera del RMRP"


def non_rmrp_lines(report, catalogue: Catalogue, lines: list[ActivityLine],
                   reporter) -> list[ActivityLine]:
    """Return now and then one line that is not an RMRP activity, drawn from a generator of its
    own so that every other figure of the demo is drawn as before."""
    rng = random.Random(f"non-rmrp|{report.organisation.acronym}|{report.sector.code}|"
                        f"{report.period.month:%Y-%m}")
    direct = [i for i in catalogue.indicators.get(report.sector_id, []) if i.counts_people]
    if not direct or rng.random() >= NON_RMRP_SHARE:
        return []
    indicator = rng.choice(direct)
    department = catalogue.departments[weighted(rng, DEPARTMENT_WEIGHTS)]
    population = weighted(rng, POPULATION_WEIGHTS)
    taken = {(line.indicator_id, line.location_id, line.population_type, line.modality,
              line.implementing_partner_id) for line in lines}
    # A service or in-kind line, as the indicator allows (none of its lines is cash).
    modality = next((m for m in (Modality.SERVICE, Modality.IN_KIND)
                     if not indicator.modalities or m in indicator.modalities), None)
    if modality is None or (indicator.pk, department.pk, population, modality, None) in taken:
        return []
    line = random_line(report, indicator, department, department, population, modality,
                       None, rng, reporter)
    line.rmrp_activity = False
    line.description = NON_RMRP_DESCRIPTION
    return [line]


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def random_modality(indicator: Indicator, rng: random.Random) -> str:
    """Return a modality the indicator allows (the draws stay as before, so the demo's other
    figures do not move)."""
    text = indicator.name_en.lower()
    if "cash" in text or "voucher" in text:
        drawn = Modality.VOUCHER if rng.random() < 0.25 else Modality.CASH
    elif indicator.unit == IndicatorUnit.KITS or "kit" in text or "in-kind" in text:
        drawn = Modality.IN_KIND
    else:
        drawn = Modality.SERVICE if rng.random() < 0.85 else Modality.IN_KIND
    if indicator.modalities and not indicator.allows(drawn):
        return indicator.modalities[0]
    return drawn


def random_line(report, indicator, department, location, population, modality, partner, rng,
          reporter) -> ActivityLine:
    scale = 3.0 if department.code == "15" else 1.0
    total = max(5, int(rng.lognormvariate(4.2, 0.8) * scale))
    new = int(total * rng.uniform(0.45, 0.95))
    children = int(new * rng.uniform(0.2, 0.45))
    girls = children // 2
    boys = children - girls
    adults = new - children
    women = int(adults * rng.uniform(0.5, 0.65))
    other_adult, other_young = other_people(adults - women, boys, rng)
    boys -= other_young
    men = adults - women - other_adult
    if not indicator.counts_people and indicator.unit == IndicatorUnit.PEOPLE:
        # Staff trainings: adults only, fewer of them.
        total = new = max(3, new // 10)
        girls = boys = other_young = other_adult = 0
        women = new // 2 + new % 2
        men = new // 2
    quantity = None
    if indicator.unit != IndicatorUnit.PEOPLE:
        quantity = max(1, total // rng.choice((2, 4, 10)))
        if indicator.unit in (IndicatorUnit.SESSIONS, IndicatorUnit.ORGANISATIONS):
            quantity = rng.randint(1, 12)
    cash = None
    if modality in (Modality.CASH, Modality.VOUCHER):
        cash = Decimal(total * rng.randint(25, 60)).quantize(Decimal("1.00"))
    return ActivityLine(
        report=report, indicator=indicator, department=department, location=location,
        population_type=population, modality=modality, implementing_partner=partner,
        girls=girls, boys=boys, women=women, men=men, other_under_18=other_young,
        other_adults=other_adult, new_beneficiaries=new, total_monthly=total, quantity=quantity,
        cash_usd=cash, delivery_mechanism=delivery_mechanism(
            modality, f"{indicator.code}|{location.code}|{population}|{report.period_id}"),
        description="", created_by=reporter, updated_by=reporter,
    )


def september_lines(report, planned: list[PlannedLine], catalogue: Catalogue,
                            rng: random.Random, reporter) -> list[ActivityLine]:
    """Return the report's planned lines, and now and then a line of an indicator that does not
    count people (a training, kits, sessions), which leaves the figures as they are."""
    lines = [
        ActivityLine(
            report=report, indicator=catalogue.by_code[p.indicator],
            department=catalogue.departments[p.department], location=catalogue.places_by_code[p.location],
            population_type=p.population_type, modality=p.modality,
            implementing_partner=catalogue.organisations.get(p.implementing_partner),
            girls=p.girls, boys=p.boys, women=p.women, men=p.men,
            other_under_18=p.other_under_18, other_adults=p.other_adults,
            new_beneficiaries=p.new_beneficiaries, total_monthly=p.total_monthly,
            cash_usd=p.cash_usd, delivery_mechanism=p.delivery_mechanism, description="",
            created_by=reporter, updated_by=reporter,
        )
        for p in planned
    ]
    others = [i for i in catalogue.indicators.get(report.sector_id, []) if not i.counts_people]
    if others and (not lines or rng.random() < 0.35):
        indicator = rng.choice(others)
        department = catalogue.departments[weighted(rng, DEPARTMENT_WEIGHTS)]
        lines.append(random_line(
            report, indicator, department, department, weighted(rng, POPULATION_WEIGHTS),
            random_modality(indicator, rng), None, rng, reporter,
        ))
    return lines + non_rmrp_lines(report, catalogue, lines, reporter)
