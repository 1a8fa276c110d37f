"""Demo accounts and July–September 2023 of plausible activity, for trying the app.

Idempotent: accounts, periods and reports are only created when missing, and each report's lines
come from a random generator seeded by its organisation, sector and month, so a second run
changes nothing and a report someone has since worked on is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import slugify

from partners.models import Organisation, Role, User

from .models import (
    ActivityLine,
    Indicator,
    IndicatorUnit,
    Location,
    LocationLevel,
    Modality,
    MonthlyReport,
    PeriodEvent,
    PeriodStatus,
    PopulationType,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
)

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
    return result


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
    return Catalogue(indicators, departments, places, partners)


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


def _activity(periods, coordinators: dict[int, User], result: DemoReport) -> None:
    catalogue = _catalogue()
    existing = set(
        MonthlyReport.objects.filter(period__in=periods).values_list(
            "organisation_id", "sector_id", "period_id"
        )
    )
    organisations = (
        Organisation.objects.filter(rmrp_appealing=True, is_partner=True)
        .prefetch_related("sectors")
        .order_by("acronym")
    )
    lines: list[ActivityLine] = []
    events: list[ReviewEvent] = []
    for org in organisations:
        reporter = None
        for sector in sorted(org.sectors.all(), key=lambda s: s.order):
            if sector.parent_id is not None:
                continue
            for index, period in enumerate(periods):
                if (org.pk, sector.pk, period.pk) in existing:
                    continue
                rng = random.Random(f"{org.acronym}|{sector.code}|{period.month:%Y-%m}")
                scripted = index == 2 and (org.acronym, sector.code) in SEPTEMBER_SCRIPT
                status = (
                    SEPTEMBER_SCRIPT[(org.acronym, sector.code)] if scripted
                    else _status_for(rng, index)
                )
                if status is None:
                    continue
                reporter = reporter or _partner_reporter(org, result)
                report = _make_report(org, sector, period, status, reporter, rng)
                result.add("reports")
                if status != "empty" and not report.is_nil:
                    lines += _make_lines(report, catalogue, rng, reporter)
                events += _history(report, reporter, coordinators[sector.pk], rng)
    ActivityLine.objects.bulk_create(lines, batch_size=500)
    ReviewEvent.objects.bulk_create(events, batch_size=500)
    if lines:
        result.add("activity lines", len(lines))


def _make_report(org, sector, period, status, reporter, rng) -> MonthlyReport:
    report = MonthlyReport(
        organisation=org, sector=sector, period=period, created_by=reporter,
        status=ReportStatus.DRAFT if status == "empty" else status,
    )
    # A few partners had nothing to report in a sector in a month, and said so.
    report.is_nil = status == ReportStatus.APPROVED and rng.random() < 0.04
    if status == ReportStatus.RETURNED:
        report.status_reason = rng.choice(RETURN_REASONS)
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
