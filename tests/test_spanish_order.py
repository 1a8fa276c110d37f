"""Names sort as a Spanish reader expects (issue 14): Áncash before Apurímac, not after Ucayali;
Ángeles del Camino among the A's and Cáritas before Cruz Roja, whatever the accents and the case,
ñ after n. In the database (the ICU collation on PostgreSQL, a registered one on SQLite: the
suite runs on both), so that lists, admin filters and exports agree with Python's key.
"""

from __future__ import annotations

import re

import pytest

from gtrm.collation import spanish, spanish_key
from partners.models import Organisation
from reporting.models import Location, ReportStatus
from reporting.sheets import exports

from .factories import ReportFactory


def test_the_key_ignores_accents_and_case_and_puts_n_tilde_after_n():
    names = ["Ucayali", "Apurímac", "Áncash", "amazonas", "Ñuñoa", "Nuevo", "Oso"]
    assert sorted(names, key=spanish_key) == [
        "amazonas", "Áncash", "Apurímac", "Nuevo", "Ñuñoa", "Oso", "Ucayali"]


@pytest.mark.django_db
def test_the_database_orders_names_as_the_key_does():
    departments = list(Location.objects.departments().order_by(spanish("name"))
                       .values_list("name", flat=True))
    assert departments[:3] == ["Amazonas", "Áncash", "Apurímac"]
    assert departments == sorted(departments, key=spanish_key)
    # Binary order, for comparison, puts the accented name last.
    assert list(Location.objects.departments().order_by("name")
                .values_list("name", flat=True))[-1] == "Áncash"


@pytest.mark.django_db
def test_both_databases_break_ties_of_case_and_accent_alike():
    for acronym, name in (("A1", "Alfa"), ("A2", "alfa"), ("A3", "Álfa"), ("A4", "ALFA")):
        Organisation.objects.create(acronym=acronym, name=f"Org {acronym}", short_name=name,
                                    type="nngo")
    names = list(Organisation.objects.filter(acronym__in=["A1", "A2", "A3", "A4"])
                 .values_list("short_name", flat=True))
    assert names == sorted(names, key=spanish_key) == ["alfa", "Alfa", "ALFA", "Álfa"]


@pytest.mark.django_db
def test_organisations_are_listed_in_spanish_order():
    Organisation.objects.create(acronym="NANAY", name="Ñañay", short_name="Ñañay", type="nngo")
    Organisation.objects.create(acronym="NUEVA", name="Nueva Vida", short_name="nueva vida",
                                type="nngo")
    names = list(Organisation.objects.values_list("short_name", flat=True))
    assert names == sorted(names, key=spanish_key)
    assert names.index("Acción Contra el Hambre") < names.index("Ángeles del Camino") < 10
    assert names.index("Cáritas del Perú") < names.index("Cruz Roja Peruana")
    assert names.index("nueva vida") < names.index("Ñañay")


@pytest.mark.django_db
def test_the_export_page_offers_departments_and_organisations_in_spanish_order():
    departments = [name for code, name in exports._department_choices() if code]
    assert departments[:3] == ["Amazonas", "Áncash", "Apurímac"]
    organisations = [str(name) for code, name in exports._organisation_choices() if code]
    assert organisations == sorted(organisations, key=spanish_key)


@pytest.mark.django_db
def test_the_admin_filters_and_the_report_queue_follow_spanish_order(client, ivan, protection,
                                                                    period):
    names = ["Cruz Roja Peruana", "Cáritas del Perú", "Ángeles del Camino", "Ucayali Solidaria"]
    Organisation.objects.create(acronym="UCAYALI-S", name="Ucayali Solidaria",
                                short_name="Ucayali Solidaria", type="nngo")
    for name in names:
        ReportFactory(organisation=Organisation.objects.get(short_name=name), sector=protection,
                      period=period, status=ReportStatus.SUBMITTED)
    client.force_login(ivan)
    page = client.get("/admin/reporting/monthlyreport/?status=submitted").content.decode()
    # The organisation filter's choices, then the queue's rows.
    sidebar = page[page.index('data-filter-title="organisation"'):]
    in_filter = [name for name in re.findall(r'organisation__id__exact=\d+[^>]*>([^<]+)</a>',
                                             sidebar) if name in names]
    assert in_filter == sorted(names, key=spanish_key)
    rows = [name for name in re.findall(r">([^<>]+)</a></th>", page) if name in names]
    assert rows == sorted(names, key=spanish_key)
