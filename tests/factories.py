"""Factories for the tests; reference data (sectors, indicators, locations) comes from seeds."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from partners.models import HeldInvitation, Role, User
from partners.services import next_account_id
from reporting.models import (
    ActivityLine,
    DeliveryMechanism,
    Indicator,
    IndicatorType,
    Location,
    Modality,
    MonthlyReport,
    PopulationType,
    ReportingPeriod,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.REPORTER
    is_staff = factory.LazyAttribute(lambda u: u.role in (Role.COORDINATOR, Role.IM_OFFICER))
    password = factory.django.Password("correct horse battery staple")


class HeldInvitationFactory(DjangoModelFactory):
    """An invitation held for the IM team: `holder`'s address, invited by `invited_by`."""

    class Meta:
        model = HeldInvitation

    id = factory.LazyFunction(next_account_id)
    organisation = factory.LazyAttribute(lambda held: held.invited_by.organisation)
    email = factory.LazyAttribute(lambda held: held.holder.email)
    first_name = "Rosa"
    last_name = "Quispe"


class PeriodFactory(DjangoModelFactory):
    class Meta:
        model = ReportingPeriod
        django_get_or_create = ("month",)

    month = dt.date(2023, 9, 1)
    deadline = factory.LazyAttribute(
        lambda p: (p.month + dt.timedelta(days=40)).replace(day=10)
    )


class ReportFactory(DjangoModelFactory):
    class Meta:
        model = MonthlyReport

    period = factory.SubFactory(PeriodFactory)


def _first_allowing(sector, modality) -> Indicator:
    candidates = list(Indicator.objects.filter(
        sector=sector, type=IndicatorType.DIRECT_ASSISTANCE).order_by("code"))
    return next((i for i in candidates if i.allows(modality)), candidates[0])


class LineFactory(DjangoModelFactory):
    """A valid line of a people-counting indicator of the report's sector, in Lima."""

    class Meta:
        model = ActivityLine

    # The first one that allows the line's modality (service unless a test says otherwise;
    # the first one for a modality none allows, as a test of a broken line writes).
    indicator = factory.LazyAttribute(
        lambda line: _first_allowing(line.report.sector, line.modality)
    )
    department = factory.LazyFunction(lambda: Location.objects.get(code="15"))
    location = factory.LazyAttribute(lambda line: line.department)
    population_type = PopulationType.DESTINATION
    modality = Modality.SERVICE
    girls = 10
    boys = 12
    women = 30
    men = 25
    other_under_18 = 0
    other_adults = 3
    other_unknown_age = 0
    # A voucher is its own delivery mechanism; a cash line's is left as "not recorded".
    delivery_mechanism = factory.LazyAttribute(
        lambda line: DeliveryMechanism.VOUCHER if line.modality == Modality.VOUCHER else "")
    new_beneficiaries = factory.LazyAttribute(
        lambda line: line.girls + line.boys + line.women + line.men + line.other_under_18
        + line.other_adults + line.other_unknown_age
    )
    total_monthly = factory.LazyAttribute(lambda line: line.new_beneficiaries + 20)
