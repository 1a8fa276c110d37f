"""Demo accounts and July–September 2023 of plausible activity, for trying the app.

September 2023 is the month of the real situation report in the seeds: its approved lines add
up, by the counting rules, to the figures published that month (see september.py), and
it has the month's key figures and narratives. July and August are random but plausible.

Idempotent and deterministic: accounts, periods, reports, key figures and narratives are only
created when missing; each report's status and lines come from a random generator seeded by its
organisation, sector and month (September's counted lines from a plan, shared out by a generator
seeded by sector), so a second run changes nothing and a report someone has since worked on is
left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.text import slugify

from partners.models import Organisation, Role, User
from reporting.models import (
    ActivityLine,
    KeyFigures,
    Location,
    MonthlyReport,
    Narrative,
    PeriodEvent,
    PeriodStatus,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
    SitrepEdition,
)
from reporting.numbers import sitrep

from .lines import random_lines, read_catalogue, september_lines
from .narratives import (
    FUNDING_SOURCE,
    KEY_FIGURES,
    POPULATION_SOURCE,
    RMRP_REQUIREMENT_USD,
    SEPTEMBER_NARRATIVES,
)
from .september import SEPTEMBER, Contributor, plan_september_lines

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
    _key_figures(periods, users["im"], result)
    _narratives(periods[2], users["im"], coordinators, result)
    _publish(periods[2], users["im"], result)
    return result


def _publish(period: ReportingPeriod, im: User, result: DemoReport) -> None:
    """Publish September's first edition, as the GTRM did in mid-October: the public pages then
    have a report, and approving what is still waiting shows "changed since publication"."""
    if period.editions.exists():
        return
    # No note: a first edition changes nothing, and a note is free text shown as typed, so a
    # bilingual one would read in both languages to everyone.
    edition = sitrep.publish_edition(period=period, by=im)
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
    catalogue = read_catalogue()
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
            lines += september_lines(
                report, september.get((org.acronym, sector.code), []), catalogue, plan.rng,
                reporter,
            )
        elif plan.status != "empty" and not report.is_nil:
            lines += random_lines(report, catalogue, plan.rng, reporter)
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


# --------------------------------------------------------------------------------------------
# Key figures and narratives
# --------------------------------------------------------------------------------------------


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
