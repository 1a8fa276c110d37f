"""The reference data: loaded from seeds/, complete, and idempotent."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from partners.models import Organisation, OrganisationType
from reporting.models import Indicator, IndicatorUnit, Location, LocationLevel, Sector
from reporting.seeds import SeedError, load_seeds


def snapshot() -> dict:
    return {
        "organisations": list(Organisation.objects.order_by("pk").values()),
        "org_sectors": sorted(Organisation.sectors.through.objects.values_list(
            "organisation_id", "sector_id")),
        "sectors": list(Sector.objects.order_by("pk").values()),
        "leads": sorted(Sector.lead_organisations.through.objects.values_list(
            "sector_id", "organisation_id")),
        "indicators": list(Indicator.objects.order_by("pk").values()),
        "locations": list(Location.objects.order_by("pk").values()),
    }


def test_loading_the_seeds_twice_changes_nothing(db):
    before = snapshot()
    out = io.StringIO()
    call_command("load_seeds", stdout=out)
    assert snapshot() == before
    assert "nothing changed" in out.getvalue()
    assert "0 created, 0 updated" in out.getvalue()


def test_the_partner_list_of_the_situation_report_is_loaded(db):
    partners = Organisation.objects.partners()
    assert partners.count() == 110
    assert partners.filter(type=OrganisationType.RMO).count() == 13
    assert partners.filter(rmrp_appealing=True).count() == 84
    # The sitrep lists IDL twice; it is one organisation.
    assert Organisation.objects.filter(short_name="IDL").count() == 1
    assert Organisation.objects.get(acronym="JADE").joined_on.isoformat() == "2023-09-15"
    assert Organisation.objects.get(acronym="CARITAS").short_name == "Cáritas del Perú"
    # The platform itself is an organisation (its IM staff belong to it) but not a partner.
    assert not Organisation.objects.get(acronym="GTRM").is_partner


def test_the_sectors_and_protections_sub_sectors_are_loaded(db):
    top = Sector.objects.top_level()
    assert list(top.values_list("name_en", flat=True)) == [
        "Education", "Food Security", "Health", "Humanitarian Transportation", "Integration",
        "Nutrition", "Protection", "Shelter", "WASH",
    ]
    protection = Sector.objects.get(code="PRO")
    assert sorted(protection.subsectors.values_list("name_en", flat=True)) == [
        "Child Protection", "Gender-Based Violence", "Human Trafficking & Smuggling",
    ]
    assert protection.name_es == "Protección"


def test_every_sector_has_three_to_eight_indicators_some_counting_people(db):
    for sector in Sector.objects.all():
        indicators = sector.indicators.all()
        assert 3 <= indicators.count() <= 8, sector.code
        assert indicators.filter(counts_people=True).exists(), sector.code
    assert not Indicator.objects.filter(counts_people=True).exclude(unit=IndicatorUnit.PEOPLE)


def test_every_place_of_peru_is_loaded_with_its_official_name(db):
    assert Location.objects.filter(level=LocationLevel.DEPARTMENT).count() == 25
    assert Location.objects.filter(level=LocationLevel.PROVINCE).count() == 196
    assert Location.objects.filter(level=LocationLevel.DISTRICT).count() >= 1890
    names = dict(Location.objects.filter(
        code__in=["02", "03", "07", "15", "150132", "1301", "220901"]
    ).values_list("code", "name"))
    assert names == {
        "02": "Áncash", "03": "Apurímac", "07": "Callao", "15": "Lima",
        "150132": "San Juan de Lurigancho", "1301": "Trujillo", "220901": "Tarapoto",
    }
    # Every province and district sits inside its parent's code.
    for location in Location.objects.exclude(level=LocationLevel.DEPARTMENT).select_related(
        "parent"
    ):
        assert location.code.startswith(location.parent.code)


def test_a_broken_seed_file_is_refused_whole(tmp_path, db):
    for name in ("organisations.csv", "sectors.csv", "indicators.csv", "locations.csv"):
        (tmp_path / name).write_text(
            (settings.BASE_DIR / "seeds" / name).read_text(encoding="utf-8"),
            encoding="utf-8",
        )
    text = (tmp_path / "indicators.csv").read_text(encoding="utf-8")
    (tmp_path / "indicators.csv").write_text(
        text + "XX-01,NOPE,Nada,Nothing,people,yes\n", encoding="utf-8"
    )
    (tmp_path / "organisations.csv").write_text(
        (tmp_path / "organisations.csv").read_text(encoding="utf-8").replace(
            "Acción Contra el Hambre,Acción Contra el Hambre", "ACH renamed,ACH renamed", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match=r"indicators.csv row \d+: sector NOPE is unknown"):
        load_seeds(tmp_path)
    # The organisation renamed earlier in the same run was rolled back.
    assert Organisation.objects.get(acronym="ACH").name == "Acción Contra el Hambre"


def test_loading_keeps_what_im_officers_edited_unless_asked_to_update(db):
    acnur = Organisation.objects.get(acronym="ACNUR")
    acnur.name = "ACNUR – Agencia de la ONU para los Refugiados"
    acnur.save()
    acnur.sectors.clear()
    out = io.StringIO()
    call_command("load_seeds", stdout=out)
    acnur.refresh_from_db()
    assert acnur.name == "ACNUR – Agencia de la ONU para los Refugiados"
    assert not acnur.sectors.exists()
    assert "2 existing rows differ from the seed files and were kept" in out.getvalue()

    call_command("load_seeds", "--update", stdout=io.StringIO())
    acnur.refresh_from_db()
    assert acnur.name == "Alto Comisionado de las Naciones Unidas para los Refugiados"
    assert acnur.sectors.filter(code="PRO").exists()
