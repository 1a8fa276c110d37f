"""Demo accounts and July–September 2023 of plausible activity, for trying the app.

September 2023 is the month of the real situation report in the seeds: its approved lines add
up, by the counting rules, to the figures published that month (see "September 2023" below), and
it has the month's key figures and narratives. July and August are random but plausible.

Idempotent and deterministic: accounts, periods, reports, key figures and narratives are only
created when missing; each report's status and lines come from a random generator seeded by its
organisation, sector and month (September's counted lines from a plan, shared out by a generator
seeded by sector), so a second run changes nothing and a report someone has since worked on is
left alone.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import slugify

from partners.models import Organisation, Role, User
from reporting.models import (
    ActivityLine,
    Indicator,
    IndicatorUnit,
    KeyFigures,
    Location,
    LocationLevel,
    Modality,
    MonthlyReport,
    Narrative,
    NarrativeKind,
    PeriodEvent,
    PeriodStatus,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
    SitrepEdition,
)
from reporting.numbers import sitrep

DEMO_PASSWORD = "demo"
LIMA = ZoneInfo("America/Lima")
MONTHS = (dt.date(2023, 7, 1), dt.date(2023, 8, 1), dt.date(2023, 9, 1))

# username, organisation acronym, role, sectors coordinated, first name, last name
DEMO_ACCOUNTS = (
    ("im", "GTRM", Role.IM_OFFICER, (), "Paola", "Lazcano"),
    ("coord.health", "OPS/OMS", Role.COORDINATOR, ("HEA",), "Lucía", "Ramírez"),
    ("coord.protection", "ACNUR", Role.COORDINATOR, ("PRO",), "Miguel", "Urquía"),
    ("reporter.hias", "HIAS", Role.REPORTER, (), "Daniela", "Rojas"),
    ("reporter.caritas", "CARITAS", Role.REPORTER, (), "José", "Quispe"),
    ("focal.hias", "HIAS", Role.FOCAL_POINT, (), "Andrea", "Salazar"),
)

# Where the response is: departments named in the situation report, weighted by caseload.
DEPARTMENT_WEIGHTS = {
    "15": 40, "13": 10, "20": 8, "24": 8, "23": 7, "04": 6, "07": 6, "14": 4, "21": 3,
    "11": 3, "08": 2, "12": 2, "02": 1,
}
POPULATION_WEIGHTS = {
    PopulationType.DESTINATION: 70, PopulationType.TRANSIT: 14, PopulationType.HOST: 11,
    PopulationType.PENDULAR: 3, PopulationType.RETURNEE: 2,
}

# The reports the demo accounts act on in September 2023: (org, sector) → status.
SEPTEMBER_SCRIPT = {
    ("HIAS", "PRO"): "empty",  # step 1 of the demo loop: reporter.hias fills it in
    ("HIAS", "HEA"): ReportStatus.SUBMITTED,
    ("HIAS", "INT"): ReportStatus.DRAFT,
    ("HIAS", "SHE"): None,  # not started
    ("CARITAS", "HEA"): ReportStatus.RETURNED,
    ("CARITAS", "PRO"): ReportStatus.SUBMITTED,
    ("CARITAS", "FS"): ReportStatus.APPROVED,
    ("CARITAS", "SHE"): ReportStatus.DRAFT,
}
RETURN_REASONS = (
    "Las cifras de Tumbes parecen duplicar las de agosto; por favor revisen los nuevos "
    "beneficiarios.",
    "Please split the Lima line by district: most of the activity was in San Juan de Lurigancho.",
    "El indicador de consultas debe reportarse en atenciones, no en personas.",
)


# --------------------------------------------------------------------------------------------
# September 2023: the month of the real situation report (shared/seed/000_…txt)
# --------------------------------------------------------------------------------------------
#
# The demo's approved September lines add up, under the counting rules of DESIGN §4, to the
# figures the GTRM published for the month. Nothing is written into the report: the figures
# come out of `reporting.numbers.aggregation` from the lines below, and tests/test_demo_figures.py checks
# them. How the lines are made:
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


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n

    def lines(self) -> list[str]:
        if not self.created:
            return ["Demo data already present: nothing changed."]
        return [f"{what}: {n} created" for what, n in self.created.items()]


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LIMA)


@transaction.atomic
def build_demo() -> DemoReport:
    """Create what is missing of the demo; change nothing that exists."""
    result = DemoReport()
    if not Sector.objects.exists() or not Location.objects.exists():
        raise RuntimeError("Load the reference data first: python manage.py load_seeds")
    users = _accounts(result)
    periods = _periods(result)
    coordinators = _coordinators(users, result)
    _activity(periods, coordinators, result)
    _lock(periods[0], users["im"], result)
    _key_figures(periods, users["im"], result)
    _narratives(periods[2], users["im"], coordinators, result)
    _publish(periods[2], users["im"], result)
    return result


def _publish(period: ReportingPeriod, im: User, result: DemoReport) -> None:
    """Publish September's first edition, as the GTRM did in mid-October: the public pages then
    have a report, and approving what is still waiting shows "changed since publication"."""
    if period.editions.exists():
        return
    edition = sitrep.publish_edition(
        period=period, by=im, note="Primera edición. / First edition."
    )
    published_at = _aware(dt.date(2023, 10, 13), 17)
    edition.data["generated_at"] = published_at.isoformat(timespec="seconds")
    SitrepEdition.objects.filter(pk=edition.pk).update(published_at=published_at, data=edition.data)
    result.add("situation report editions")


def _accounts(result: DemoReport) -> dict[str, User]:
    organisations = {org.acronym: org for org in Organisation.objects.all()}
    users = {}
    for username, acronym, role, sector_codes, first, last in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                organisation=organisations[acronym],
                role=role,
            )
            user.set_password(DEMO_PASSWORD)
            user.full_clean()
            user.save()
            user.sectors.set(Sector.objects.filter(code__in=sector_codes))
            result.add("demo accounts")
        users[username] = user
    return users


def _periods(result: DemoReport) -> list[ReportingPeriod]:
    periods = []
    for month in MONTHS:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        period, created = ReportingPeriod.objects.get_or_create(
            month=month,
            defaults={
                "deadline": following.replace(day=10),
                "lock_date": following.replace(day=25),
            },
        )
        if created:
            result.add("periods")
        periods.append(period)
    return periods


def _lock(period: ReportingPeriod, im: User, result: DemoReport) -> None:
    """July 2023 is closed: lock it once, as the IM team would at its lock date."""
    if period.status == PeriodStatus.LOCKED or period.events.exists():
        return
    locked_at = _aware(period.lock_date, 17)
    ReportingPeriod.objects.filter(pk=period.pk).update(
        status=PeriodStatus.LOCKED, status_changed_at=locked_at, status_changed_by=im
    )
    PeriodEvent.objects.create(
        period=period, action=PeriodEvent.Action.LOCK, by=im, at=locked_at,
        reason="Cierre mensual: datos consolidados para el reporte de situación.",
    )
    result.add("period locks")


def _coordinators(users: dict[str, User], result: DemoReport) -> dict[int, User]:
    """Return a reviewer per top-level sector: the demo coordinator, or a sector account with
    no usable password (it signs the approvals of the demo history)."""
    reviewers = {}
    for sector in Sector.objects.top_level():
        reviewer = sector.coordinators.filter(is_active=True).order_by("pk").first()
        if reviewer is None:
            username = f"coord.{slugify(sector.name_en).split('-')[0]}"
            reviewer = User.objects.filter(username=username).first()
            if reviewer is None:
                lead = sector.lead_organisations.order_by("pk").first()
                reviewer = User(
                    username=username, organisation=lead, role=Role.COORDINATOR,
                    first_name=sector.name_es, last_name="(coordinación)",
                    email=f"{username}@example.org",
                )
                reviewer.set_unusable_password()
                reviewer.full_clean()
                reviewer.save()
                reviewer.sectors.add(sector)
                result.add("sector coordinator accounts")
        reviewers[sector.pk] = reviewer
    return reviewers


def _partner_reporter(org: Organisation, result: DemoReport) -> User:
    reporter = org.users.filter(role__in=[Role.REPORTER, Role.FOCAL_POINT]).order_by("pk").first()
    if reporter is not None:
        return reporter
    username = f"reporter.{slugify(org.acronym.replace('/', '-'))}"
    reporter = User(
        username=username, organisation=org, role=Role.REPORTER,
        email=f"{username}@example.org", first_name="Equipo", last_name=org.short_name[:150],
    )
    reporter.set_unusable_password()
    reporter.full_clean()
    reporter.save()
    result.add("partner reporter accounts")
    return reporter


@dataclass
class Catalogue:
    indicators: dict[int, list[Indicator]]
    departments: dict[str, Location]
    places: dict[str, list[Location]]  # department code → its provinces and districts
    partners: list[Organisation]
    by_code: dict[str, Indicator]  # every active indicator
    places_by_code: dict[str, Location]  # departments and the places of SEPTEMBER_PLACES
    organisations: dict[str, Organisation]  # the implementing partners, by acronym


def _catalogue() -> Catalogue:
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


def _status_for(rng: random.Random, month_index: int) -> str | None:
    roll = rng.random()
    if month_index < 2:  # July and August: settled months
        if roll < 0.05:
            return None
        return ReportStatus.APPROVED
    if roll < 0.10:
        return None
    if roll < 0.68:
        return ReportStatus.APPROVED
    if roll < 0.84:
        return ReportStatus.SUBMITTED
    if roll < 0.89:
        return ReportStatus.RETURNED
    return ReportStatus.DRAFT


@dataclass
class PlannedReport:
    """What the demo makes of one organisation × sector × month, decided before anything is
    saved so that September's lines can be shared out over every report that carries them."""

    organisation: Organisation
    sector: Sector
    period: ReportingPeriod
    status: str | None
    is_nil: bool
    rng: random.Random
    is_lead: bool = False

    @property
    def carries_september_figures(self) -> bool:
        return (
            self.period.month == SEPTEMBER and self.status == ReportStatus.APPROVED
            and not self.is_nil
        )


def _plan_reports(periods) -> list[PlannedReport]:
    """Decide every demo report's status, the same on every run: each report draws from its
    own generator, seeded by organisation, sector and month."""
    organisations = (
        Organisation.objects.filter(rmrp_appealing=True, is_partner=True)
        .prefetch_related("sectors")
        .order_by("acronym")
    )
    sector_leads, always_report = _sector_leads()
    plans = []
    for org in organisations:
        for sector in sorted(org.sectors.all(), key=lambda s: s.order):
            if sector.parent_id is not None:
                continue
            for index, period in enumerate(periods):
                rng = random.Random(f"{org.acronym}|{sector.code}|{period.month:%Y-%m}")
                september = period.month == SEPTEMBER
                if september and (org.acronym, sector.code) in SEPTEMBER_SCRIPT:
                    status = SEPTEMBER_SCRIPT[(org.acronym, sector.code)]
                else:
                    status = _status_for(rng, index)
                # A few partners had nothing to report in a sector in a month, and said so.
                is_nil = status == ReportStatus.APPROVED and rng.random() < 0.04
                if september and org.pk in always_report[sector.pk] and (
                    (org.acronym, sector.code) not in SEPTEMBER_SCRIPT
                ):
                    # A sector's lead agencies report every month, and on time.
                    status, is_nil = ReportStatus.APPROVED, False
                if status is not None:
                    plans.append(PlannedReport(
                        org, sector, period, status, is_nil, rng,
                        is_lead=org.pk in sector_leads[sector.pk],
                    ))
    return plans


def _sector_leads() -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Return, per top-level sector id, the ids of its lead organisations, and the same with
    its sub-sectors' leads added (they report in the top-level sector)."""
    own: dict[int, set[int]] = defaultdict(set)
    with_subsectors: dict[int, set[int]] = defaultdict(set)
    for sector in Sector.objects.prefetch_related("lead_organisations"):
        leads = {org.pk for org in sector.lead_organisations.all()}
        if sector.parent_id is None:
            own[sector.pk] |= leads
        with_subsectors[sector.parent_id or sector.pk] |= leads
    return own, with_subsectors


def _activity(periods, coordinators: dict[int, User], result: DemoReport) -> None:
    catalogue = _catalogue()
    existing = set(
        MonthlyReport.objects.filter(period__in=periods).values_list(
            "organisation_id", "sector_id", "period_id"
        )
    )
    plans = _plan_reports(periods)
    september = plan_september_lines(
        _september_contributors(plans), [org.acronym for org in catalogue.partners]
    )
    reporters: dict[int, User] = {}
    lines: list[ActivityLine] = []
    events: list[ReviewEvent] = []
    for plan in plans:
        org, sector, period = plan.organisation, plan.sector, plan.period
        if (org.pk, sector.pk, period.pk) in existing:
            continue
        if org.pk not in reporters:
            reporters[org.pk] = _partner_reporter(org, result)
        reporter = reporters[org.pk]
        report = _make_report(plan, reporter)
        result.add("reports")
        if plan.carries_september_figures:
            lines += _september_report_lines(
                report, september.get((org.acronym, sector.code), []), catalogue, plan.rng,
                reporter,
            )
        elif plan.status != "empty" and not report.is_nil:
            lines += _make_lines(report, catalogue, plan.rng, reporter)
        events += _history(report, reporter, coordinators[sector.pk], plan.rng)
    ActivityLine.objects.bulk_create(lines, batch_size=500)
    ReviewEvent.objects.bulk_create(events, batch_size=500)
    if lines:
        result.add("activity lines", len(lines))


def _make_report(plan: PlannedReport, reporter: User) -> MonthlyReport:
    status = plan.status
    report = MonthlyReport(
        organisation=plan.organisation, sector=plan.sector, period=plan.period,
        created_by=reporter, status=ReportStatus.DRAFT if status == "empty" else status,
        is_nil=plan.is_nil,
    )
    if status == ReportStatus.RETURNED:
        report.status_reason = plan.rng.choice(RETURN_REASONS)
    report.save()
    return report


def _make_lines(report, catalogue: Catalogue, rng: random.Random, reporter) -> list[ActivityLine]:
    indicators = catalogue.indicators.get(report.sector_id, [])
    people = [i for i in indicators if i.counts_people]
    others = [i for i in indicators if not i.counts_people]
    chosen: list[Indicator] = rng.sample(people, k=min(len(people), rng.randint(1, 3)))
    if others and rng.random() < 0.35:
        chosen.append(rng.choice(others))
    lines, seen = [], set()
    for indicator in chosen:
        for _ in range(rng.randint(1, 3)):
            department = catalogue.departments[_weighted(rng, DEPARTMENT_WEIGHTS)]
            location = department
            if rng.random() < 0.3 and catalogue.places.get(department.code):
                location = rng.choice(catalogue.places[department.code])
            population = _weighted(rng, POPULATION_WEIGHTS)
            modality = _modality(indicator, rng)
            partner = rng.choice(catalogue.partners) if rng.random() < 0.12 else None
            key = (indicator.pk, location.pk, population, modality, partner)
            if key in seen:
                continue
            seen.add(key)
            lines.append(
                _line(report, indicator, department, location, population, modality, partner,
                      rng, reporter)
            )
    return lines


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _modality(indicator: Indicator, rng: random.Random) -> str:
    text = indicator.name_en.lower()
    if "cash" in text or "voucher" in text:
        return Modality.VOUCHER if rng.random() < 0.25 else Modality.CASH
    if indicator.unit == IndicatorUnit.KITS or "kit" in text or "in-kind" in text:
        return Modality.IN_KIND
    return Modality.SERVICE if rng.random() < 0.85 else Modality.IN_KIND


def _line(report, indicator, department, location, population, modality, partner, rng,
          reporter) -> ActivityLine:
    scale = 3.0 if department.code == "15" else 1.0
    total = max(5, int(rng.lognormvariate(4.2, 0.8) * scale))
    new = int(total * rng.uniform(0.45, 0.95))
    children = int(new * rng.uniform(0.2, 0.45))
    girls = children // 2
    boys = children - girls
    adults = new - children
    women = int(adults * rng.uniform(0.5, 0.65))
    other = 1 if adults - women > 3 and rng.random() < 0.1 else 0
    men = adults - women - other
    if not indicator.counts_people and indicator.unit == IndicatorUnit.PEOPLE:
        # Staff trainings: adults only, fewer of them.
        total = new = max(3, new // 10)
        girls = boys = other = 0
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
        girls=girls, boys=boys, women=women, men=men, other=other,
        new_beneficiaries=new, total_monthly=total, quantity=quantity, cash_usd=cash,
        description="", created_by=reporter, updated_by=reporter,
    )


def _history(report: MonthlyReport, reporter: User, reviewer: User, rng) -> list[ReviewEvent]:
    """Write the review events that lead to the report's status, with plausible dates."""
    period = report.period
    started_at = _aware(period.deadline - dt.timedelta(days=rng.randint(10, 14)), 10)
    if report.status == ReportStatus.DRAFT:
        MonthlyReport.objects.filter(pk=report.pk).update(
            created_at=started_at, updated_at=started_at + dt.timedelta(days=rng.randint(0, 8))
        )
        return []
    submitted_day = period.deadline + dt.timedelta(days=rng.randint(-9, 3))
    submitted_at = _aware(submitted_day, rng.randint(9, 18), rng.randint(0, 59))
    nil = report.is_nil
    events = [
        ReviewEvent(
            report=report,
            action=ReviewEvent.Action.DECLARE_NIL if nil else ReviewEvent.Action.SUBMIT,
            from_status=ReportStatus.DRAFT, to_status=ReportStatus.SUBMITTED,
            by=reporter, at=submitted_at,
            reason="Sin actividades este mes en este sector." if nil else "",
        )
    ]
    fields = {"submitted_at": submitted_at, "submitted_by": reporter, "created_at": started_at,
              "updated_at": submitted_at}
    reviewed_at = submitted_at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
    if report.status == ReportStatus.APPROVED:
        events.append(ReviewEvent(
            report=report, action=ReviewEvent.Action.APPROVE,
            from_status=ReportStatus.SUBMITTED, to_status=ReportStatus.APPROVED,
            by=reviewer, at=reviewed_at,
        ))
        fields.update(reviewed_at=reviewed_at, reviewed_by=reviewer, updated_at=reviewed_at)
    elif report.status == ReportStatus.RETURNED:
        events.append(ReviewEvent(
            report=report, action=ReviewEvent.Action.RETURN,
            from_status=ReportStatus.SUBMITTED, to_status=ReportStatus.RETURNED,
            by=reviewer, at=reviewed_at, reason=report.status_reason,
        ))
        fields.update(reviewed_at=reviewed_at, reviewed_by=reviewer, updated_at=reviewed_at)
    MonthlyReport.objects.filter(pk=report.pk).update(**fields)
    return events


# --------------------------------------------------------------------------------------------
# September 2023: the plan of the lines (no database; see the comment at the top)
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
    other: int
    new_beneficiaries: int
    total_monthly: int
    cash_usd: Decimal | None


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
            girls, boys, women, men, other = _people(total, indicator, rng)
            cash = None
            if indicator in USD_PER_PERSON:
                cash = (total * USD_PER_PERSON[indicator]).quantize(Decimal("1.00"))
            planned.setdefault((acronym, sector), []).append(PlannedLine(
                indicator=indicator, department=department, location=location,
                population_type=population, modality=modality, implementing_partner=partner,
                girls=girls, boys=boys, women=women, men=men, other=other,
                new_beneficiaries=girls + boys + women + men + other, total_monthly=total,
                cash_usd=cash,
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


def _september_modality(indicator: str, stream: Stream, rng: random.Random) -> str:
    if stream.cash:
        return Modality.VOUCHER if rng.random() < 0.2 else Modality.CASH
    return Modality.IN_KIND if indicator in IN_KIND_INDICATORS else Modality.SERVICE


def _people(total: int, indicator: str, rng: random.Random) -> tuple[int, int, int, int, int]:
    """Return girls, boys, women, men and other among the new beneficiaries of a line reaching
    `total` people in the month: 40–70 % of them reached for the first time this year."""
    new = min(total, round(total * rng.uniform(0.4, 0.7)))
    girls = boys = women = men = other = 0
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
        other = 1 if adults - women > 3 and rng.random() < 0.1 else 0
        men = adults - women - other
    return girls, boys, women, men, other


def _september_contributors(plans: list[PlannedReport]) -> dict[str, list[Contributor]]:
    """Return {sector code: contributors} of the approved September reports with activities,
    the sector's leads first."""
    focus: dict[tuple[int, int], list[str]] = defaultdict(list)
    for sector in Sector.objects.filter(parent__isnull=False).prefetch_related("lead_organisations"):
        for org in sector.lead_organisations.all():
            focus[(org.pk, sector.parent_id)].append(sector.code)
    contributors: dict[str, list[Contributor]] = defaultdict(list)
    for plan in plans:
        if plan.carries_september_figures:
            key = (plan.organisation.pk, plan.sector.pk)
            contributors[plan.sector.code].append(
                Contributor(plan.organisation.acronym, plan.is_lead, tuple(focus[key]))
            )
    return {
        sector: sorted(organisations, key=lambda c: (not c.lead, c.acronym))
        for sector, organisations in contributors.items()
    }


def _september_report_lines(report, planned: list[PlannedLine], catalogue: Catalogue,
                            rng: random.Random, reporter) -> list[ActivityLine]:
    """Return the report's planned lines, and now and then a line of an indicator that does not
    count people (a training, kits, sessions), which leaves the figures as they are."""
    lines = [
        ActivityLine(
            report=report, indicator=catalogue.by_code[p.indicator],
            department=catalogue.departments[p.department], location=catalogue.places_by_code[p.location],
            population_type=p.population_type, modality=p.modality,
            implementing_partner=catalogue.organisations.get(p.implementing_partner),
            girls=p.girls, boys=p.boys, women=p.women, men=p.men, other=p.other,
            new_beneficiaries=p.new_beneficiaries, total_monthly=p.total_monthly,
            cash_usd=p.cash_usd, description="", created_by=reporter, updated_by=reporter,
        )
        for p in planned
    ]
    others = [i for i in catalogue.indicators.get(report.sector_id, []) if not i.counts_people]
    if others and (not lines or rng.random() < 0.35):
        indicator = rng.choice(others)
        department = catalogue.departments[_weighted(rng, DEPARTMENT_WEIGHTS)]
        lines.append(_line(
            report, indicator, department, department, _weighted(rng, POPULATION_WEIGHTS),
            _modality(indicator, rng), None, rng, reporter,
        ))
    return lines


# --------------------------------------------------------------------------------------------
# Key figures and narratives
# --------------------------------------------------------------------------------------------

# month → refugees and migrants in Peru, as of; RMRP funds received (USD), retrieved on
KEY_FIGURES = {
    dt.date(2023, 7, 1): (1_520_000, dt.date(2023, 7, 31), 35_600_000, dt.date(2023, 8, 4)),
    dt.date(2023, 8, 1): (1_530_000, dt.date(2023, 8, 31), 40_100_000, dt.date(2023, 9, 5)),
    SEPTEMBER: (1_540_000, dt.date(2023, 9, 30), 44_800_000, dt.date(2023, 10, 4)),
}
RMRP_REQUIREMENT_USD = 318_000_000  # RMRP 2023-24, Peru
POPULATION_SOURCE = "Superintendencia Nacional de Migraciones (SNM) / R4V"
FUNDING_SOURCE = "Financial Tracking System (FTS)"

# September 2023's texts, written from the facts of the published situation report:
# (kind, sector code or None, Spanish, English). One bullet a line; blank lines part paragraphs.
SEPTEMBER_NARRATIVES = (
    (
        NarrativeKind.SITUATION, None,
        "\n".join((
            "- El 19 de septiembre, como parte de sus medidas contra la criminalidad, el Gobierno "
            "declaró el **estado de emergencia** en Piura y en dos distritos de Lima, San Juan de "
            "Lurigancho y San Martín de Porres, donde vive cerca de una de cada cinco personas "
            "refugiadas y migrantes de Venezuela. El 23 de septiembre, el Congreso otorgó al "
            "Poder Ejecutivo **facultades para legislar durante 90 días** en materias como la "
            "seguridad ciudadana.",
            "- Se reforzó el control en las fronteras norte (Tumbes) y sur (Tacna): en Tumbes la "
            "policía intensificó el patrullaje y en Tacna 180 efectivos vigilaron los pasos "
            "irregulares. A fines de mes, más de 100 personas refugiadas y migrantes sin la "
            "documentación exigida bloquearon durante varias horas la vía fronteriza entre Chile "
            "y Perú, en protesta porque no se les permitía ingresar.",
            "- Al 28 de septiembre, según la Superintendencia Nacional de Migraciones (SNM), unas "
            "87 600 personas habían solicitado la **amnistía de multas** por exceso de "
            "permanencia y casi 88 000 el **Carné de Permiso Temporal de Permanencia (CPP)**. "
            "Ambos trámites vencen el **10 de noviembre** y el Gobierno ha reiterado que no habrá "
            "nuevas prórrogas.",
        )),
        "\n".join((
            "- On 19 September the Government declared a **state of emergency** in Piura and in "
            "two districts of Lima, San Juan de Lurigancho and San Martín de Porres, as part of "
            "its measures against crime; about one in five refugees and migrants from Venezuela "
            "lives in these two districts. On 23 September, Congress gave the Executive **powers "
            "to legislate for 90 days** on matters that include citizen security.",
            "- Controls were stepped up at the northern (Tumbes) and southern (Tacna) borders: "
            "police increased patrols in Tumbes, and in Tacna 180 officers watched the irregular "
            "crossing points. Late in the month, over 100 refugees and migrants without the "
            "required documents blocked the road across the Chile–Peru border for several hours "
            "in protest at being refused entry.",
            "- By 28 September, the National Superintendence of Migration (SNM) counted about "
            "87,600 applications for the **amnesty of fines** for overstaying and almost 88,000 "
            "for the **Temporary Permanence Permit card (CPP)**. Both close on **10 November**, "
            "and the Government has said more than once that there will be no further extension.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "EDU",
        "\n".join((
            "- Unos 130 **profesionales de instituciones educativas fueron capacitados** para "
            "mejorar el acceso, la permanencia y la calidad de la educación.",
            "- En Arequipa, 125 **familias recibieron orientación sobre la matrícula escolar**, "
            "para que sus hijas e hijos se incorporen al sistema educativo público.",
        )),
        "\n".join((
            "- Some 130 **school staff were trained** to improve access to school, retention and "
            "the quality of education.",
            "- In Arequipa, 125 **families were advised on school enrolment**, so that their "
            "children can join the public education system.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "HEA",
        "\n".join((
            "- Unos 45 **profesionales de la salud pública fueron capacitados** en sesgos y "
            "estereotipos en la atención especializada y en primeros auxilios psicológicos, para "
            "reducir la discriminación hacia la población venezolana en los establecimientos de "
            "salud.",
            "- Se brindaron casi 6 800 **atenciones de salud primaria** en los Puntos de Atención "
            "y Orientación (PAO) de Desaguadero, La Libertad y Piura, en ferias comunitarias y por "
            "teleconsulta: más de 2 500 personas más que en agosto.",
            "- 1 300 personas en Lima y el norte del país (Trujillo, Tumbes y Piura) recibieron "
            "**atención en salud sexual y reproductiva**.",
        )),
        "\n".join((
            "- About 45 **public health workers were trained** on bias and stereotypes in "
            "specialized care and on psychological first aid, to reduce discrimination against "
            "Venezuelans in health facilities.",
            "- Nearly 6,800 **primary health care consultations** were given at the Assistance "
            "and Orientation Points (PAO) in Desaguadero, La Libertad and Piura, at community "
            "fairs and online: over 2,500 more people than in August.",
            "- 1,300 people in Lima and the north (Trujillo, Tumbes and Piura) received **sexual "
            "and reproductive health care**.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "INT",
        "\n".join((
            "- Unas 550 personas en Lima, La Libertad y Piura recibieron **educación financiera** "
            "sobre ahorro y crédito y conocieron los servicios de las entidades financieras "
            "locales aliadas. Casi 400 fueron **capacitadas en habilidades blandas, gestión de "
            "negocios y habilidades técnicas** para emprender.",
            "- En Lima, unas 150 personas de organizaciones lideradas por refugiados y migrantes "
            "participaron en **talleres de fortalecimiento de capacidades** que refuerzan su "
            "autonomía y sus estructuras comunitarias.",
        )),
        "\n".join((
            "- About 550 people in Lima, La Libertad and Piura received **financial education** "
            "on savings and credit and learned what local partner financial institutions offer. "
            "Almost 400 were **trained in soft, business management and technical skills** to "
            "start a business.",
            "- In Lima, about 150 members of refugee- and migrant-led organizations took part in "
            "**capacity-building workshops** that strengthen their self-reliance and community "
            "structures.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "NUT",
        "- En el Centro de Salud Materno Infantil de Jicamarca (Lima), los socios organizaron "
        "una **actividad de sensibilización sobre alimentación saludable y prevención de la "
        "anemia y la desnutrición infantil**.",
        "- At the Jicamarca Maternal and Child Health Centre (Lima), partners held an **awareness "
        "activity on healthy eating and on preventing anaemia and child malnutrition**.",
    ),
    (
        NarrativeKind.HIGHLIGHTS, "PRO",
        "\n".join((
            "- Ante el cierre de la regularización el 10 de noviembre, los socios del GTRM "
            "apoyaron a la SNM con **oficinas descentralizadas en distritos de Lima**: cuatro "
            "plataformas **Mejor Atención al Ciudadano (MAC)**, cuatro centros **SAMMIR** de "
            "atención migratoria y dos **Migracentros**.",
            "- En Tumbes, unos 220 niñas, niños y adolescentes en situación de vulnerabilidad "
            "fueron referidos a servicios especializados y acogidos en albergues temporales.",
            "- En Trujillo, el GTRM y la SNM organizaron el **III Entregatón**, que atendió a "
            "1 967 personas refugiadas y migrantes: documentación y regularización, pago de "
            "tasas, orientación psicológica, salud sexual y reproductiva, afiliación al Seguro "
            "Integral de Salud (SIS), educación y medios de vida.",
        )),
        "\n".join((
            "- With regularization closing on 10 November, GTRM partners helped SNM bring its "
            "services closer through **decentralized offices in Lima's districts**: four **Better "
            "Citizen Services (MAC)** platforms, four **SAMMIR** immigration assistance centres "
            "and two **Migracentros**.",
            "- In Tumbes, some 220 children and adolescents in vulnerable situations were referred "
            "to specialized services and placed in temporary shelters.",
            "- In Trujillo, the GTRM and SNM held the **III Entregatón**, which served 1,967 "
            "refugees and migrants: documentation and regularization, payment of fees, "
            "psychological counselling, sexual and reproductive health, enrolment in the "
            "Comprehensive Health Insurance (SIS), education and livelihoods.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "SHE",
        "\n".join((
            "- Los socios entregaron **kits** (ropa, menaje de cocina y artículos para el hogar) "
            "a más de 2 120 personas y **transferencias en efectivo para alojamiento** a 250 "
            "personas en La Libertad y Lima.",
            "- En Lima, cuatro **talleres prepararon a más de 50 brigadistas comunitarios** para "
            "responder a tiempo ante emergencias y desastres, en previsión de las lluvias intensas "
            "e inundaciones que se esperaban con el fenómeno El Niño a fin de año.",
        )),
        "\n".join((
            "- Partners delivered **kits** (clothing, kitchen sets and household items) to more "
            "than 2,120 people and **cash for shelter** to 250 people in La Libertad and Lima.",
            "- In Lima, four **workshops prepared over 50 community brigade members** to respond "
            "quickly to emergencies and disasters, ahead of the heavy rains and floods El Niño was "
            "expected to bring at the end of the year.",
        )),
    ),
    (
        NarrativeKind.HIGHLIGHTS, "FS",
        "- Unas 8 900 personas recibieron **transferencias en efectivo para su alimentación**, "
        "por casi USD 330 000 en total, con prioridad para gestantes, madres lactantes, niñas, "
        "niños y adolescentes y personas con discapacidad.",
        "- Some 8,900 people received **cash transfers for food**, almost USD 330,000 in all, with "
        "priority for pregnant and breastfeeding women, children and adolescents, and people "
        "with disabilities.",
    ),
    (
        NarrativeKind.COORDINATION, None,
        "\n\n".join((
            "Del 5 al 8 de septiembre, el Coordinador Regional para Refugiados de la **Oficina de "
            "Población, Refugiados y Migración (PRM)** visitó Tacna (Perú) y Arica (Chile). Se "
            "reunió con las oficinas descentralizadas del Ministerio de Relaciones Exteriores, las "
            "autoridades migratorias y la Defensoría del Pueblo, entre otras, para evaluar los "
            "riesgos de protección y de saneamiento.",
            "En septiembre, la organización internacional **JADE se unió al GTRM**, que suma ahora "
            "110 socios; 13 de ellos son organizaciones lideradas por personas refugiadas y "
            "migrantes.",
        )),
        "\n\n".join((
            "From 5 to 8 September, the Regional Refugee Coordinator of the **Bureau of "
            "Population, Refugees and Migration (PRM)** visited Tacna (Peru) and Arica (Chile), "
            "meeting the decentralized offices of the Ministry of Foreign Affairs, the migration "
            "authorities and the Ombudsperson's Office, among others, to assess protection and "
            "sanitation risks.",
            "In September the international organization **JADE joined the GTRM**, which now has "
            "110 partners, 13 of them refugee- and migrant-led organizations.",
        )),
    ),
)



def _key_figures(periods, im: User, result: DemoReport) -> None:
    for period in periods:
        if KeyFigures.objects.filter(period=period).exists():
            continue
        refugees, as_of, received, retrieved = KEY_FIGURES[period.month]
        figures = KeyFigures(
            period=period, refugees=refugees, refugees_source=POPULATION_SOURCE,
            refugees_date=as_of, funding_required_usd=Decimal(RMRP_REQUIREMENT_USD),
            funding_received_usd=Decimal(received), funding_source=FUNDING_SOURCE,
            funding_date=retrieved, updated_by=im,
        )
        figures.full_clean()
        figures.save()
        result.add("key figures")


def _narratives(period, im: User, coordinators: dict[int, User], result: DemoReport) -> None:
    """Write September's texts: the IM team's situation and coordination notes, and each
    sector's highlights by its coordinator."""
    sectors = {sector.code: sector for sector in Sector.objects.top_level()}
    for kind, code, text_es, text_en in SEPTEMBER_NARRATIVES:
        sector = sectors[code] if code else None
        if Narrative.objects.filter(period=period, kind=kind, sector=sector).exists():
            continue
        narrative = Narrative(
            period=period, kind=kind, sector=sector, text_es=text_es, text_en=text_en,
            updated_by=coordinators[sector.pk] if sector else im,
        )
        narrative.full_clean()
        narrative.save()
        result.add("narratives")
