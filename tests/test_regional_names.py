"""Regional names: the names R4V's lists use for organisations, sectors, indicators and
departments, blank for the English name, edited by IM officers (DESIGN §6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from partners.models import Organisation
from reporting.models import Indicator, Location, Sector

from .test_admin_import_export import (
    INDICATORS,
    LOCATIONS,
    ORGANISATIONS,
    confirm,
    csv_rows,
    export,
    preview,
)


def test_each_falls_back_to_its_english_name_when_blank(db):
    health = Sector.objects.get(code="HEA")
    assert health.r4v_name == "Health"
    health.regional_name = "Health (Salud)"
    assert health.r4v_name == "Health (Salud)"
    indicator = Indicator.objects.get(code="HEA-01")
    assert indicator.r4v_name == indicator.name_en
    lima = Location.objects.get(code="15")
    assert lima.r4v_name == "Lima"
    caritas = Organisation.objects.get(acronym="CARITAS")
    assert caritas.r4v_name == "Cáritas del Perú"
    caritas.regional_name = "Caritas Peru"
    assert caritas.r4v_name == "Caritas Peru"


def test_only_a_department_has_a_regional_name(db):
    province = Location.objects.get(code="1501")
    province.regional_name = "Lima Metropolitana"
    with pytest.raises(ValidationError) as caught:
        province.full_clean()
    assert list(caught.value.message_dict) == ["regional_name"]
    lima = Location.objects.get(code="15")
    lima.regional_name = "Lima Region"
    lima.full_clean()


def test_an_im_officer_edits_regional_names_in_the_admin(client, ivan):
    client.force_login(ivan)
    caritas = Organisation.objects.get(acronym="CARITAS")
    page = client.get(f"{ORGANISATIONS}{caritas.pk}/change/").content.decode()
    assert 'name="regional_name"' in page
    indicator = Indicator.objects.get(code="HEA-01")
    assert 'name="regional_name"' in client.get(
        f"{INDICATORS}{indicator.pk}/change/").content.decode()
    health = Sector.objects.get(code="HEA")
    assert 'name="regional_name"' in client.get(
        f"/admin/reporting/sector/{health.pk}/change/").content.decode()


def test_regional_names_go_out_and_come_back_through_the_reference_files(client, ivan):
    client.force_login(ivan)
    Location.objects.filter(code="15").update(regional_name="Lima Region")
    rows = csv_rows(export(client, LOCATIONS))
    assert rows[0][-1] == "regional_name"
    assert ["15", "department", "", "Lima", "Lima Region"] in rows

    page = preview(client, INDICATORS,
                   "code,sector,name_es,name_en,unit,type,active,regional_name\n"
                   "HEA-01,HEA,Atenciones,Primary health care,people,direct,yes,"
                   "Number of people receiving primary health care\n")
    confirm(client, INDICATORS, page)
    assert Indicator.objects.get(code="HEA-01").r4v_name == (
        "Number of people receiving primary health care")


def test_a_file_without_the_column_leaves_regional_names_alone(client, ivan):
    client.force_login(ivan)
    Sector.objects.filter(code="HEA").update(regional_name="Health")
    page = preview(client, "/admin/reporting/sector/",
                   "code,parent,name_es,name_en,order,lead_organisations\n"
                   "HEA,,Salud,Health,3,\n")
    confirm(client, "/admin/reporting/sector/", page)
    assert Sector.objects.get(code="HEA").regional_name == "Health"
