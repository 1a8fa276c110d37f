"""The reference data: loaded from seeds/, complete, and idempotent."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from partners.models import Organisation, OrganisationType
from reporting.models import Indicator, IndicatorType, IndicatorUnit, Location, LocationLevel, Sector
from reporting.reference.seeds import SeedError, load_seeds


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
        assert indicators.filter(type=IndicatorType.DIRECT_ASSISTANCE).exists(), sector.code
    direct = Indicator.objects.filter(type=IndicatorType.DIRECT_ASSISTANCE)
    assert not direct.exclude(unit=IndicatorUnit.PEOPLE)


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


def test_loading_keeps_what_im_officers_edited_unless_asked_to_update(db, ivan):
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

    call_command("load_seeds", "--update", "--by", "ivan", stdout=io.StringIO())
    acnur.refresh_from_db()
    assert acnur.name == "Alto Comisionado de las Naciones Unidas para los Refugiados"
    assert acnur.sectors.filter(code="PRO").exists()


def test_an_update_names_who_made_it_in_the_admin_history(db, ivan):
    """Every row an update changes gets an entry of the admin's history in the IM officer's
    name, with the fields it changed, read in the reader's language."""
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
    from django.utils.translation import override

    acnur = Organisation.objects.get(acronym="ACNUR")
    Organisation.objects.filter(pk=acnur.pk).update(name="ACNUR (editado)")
    acnur.sectors.clear()
    Location.objects.filter(code="15").update(name="Lima Metropolitana")
    out = io.StringIO()
    call_command("load_seeds", "--update", "--by", "ivan", stdout=out)
    entries = {(e.content_type.model, e.object_repr): e for e in LogEntry.objects.all()}
    assert set(entries) == {("organisation", str(Organisation.objects.get(pk=acnur.pk))),
                            ("location", "Lima")}
    org_entry = entries["organisation", str(Organisation.objects.get(pk=acnur.pk))]
    assert (org_entry.user, org_entry.action_flag, org_entry.object_id) == (ivan, CHANGE, str(acnur.pk))
    assert org_entry.get_change_message() == "Changed name and sectors it reports in."
    with override("es"):
        assert org_entry.get_change_message() == "Modificado nombre y sectores en los que reporta."
    assert "2 rows added or changed, recorded in the admin's history in the name of ivan" in (
        out.getvalue())
    assert not LogEntry.objects.filter(action_flag=ADDITION).exists()


def test_an_update_without_a_name_is_refused_and_changes_nothing(db, alice):
    from django.core.management.base import CommandError

    Organisation.objects.filter(acronym="ACNUR").update(name="ACNUR (editado)")
    with pytest.raises(CommandError, match="--by USERNAME"):
        call_command("load_seeds", "--update", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no active IM officer"):
        call_command("load_seeds", "--update", "--by", "alice", stdout=io.StringIO())
    assert Organisation.objects.get(acronym="ACNUR").name == "ACNUR (editado)"


def test_rows_added_by_a_named_load_are_in_the_admin_history(db, ivan, tmp_path):
    from django.contrib.admin.models import ADDITION, LogEntry

    for path in (settings.BASE_DIR / "seeds").glob("*.csv"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    indicators = tmp_path / "indicators.csv"
    header, first, *_ = indicators.read_text(encoding="utf-8").splitlines()
    code = first.split(",")[0]
    indicators.write_text(indicators.read_text(encoding="utf-8")
                          + first.replace(code, "PRO-99", 1) + "\n", encoding="utf-8")
    call_command("load_seeds", "--dir", str(tmp_path), "--by", "ivan", stdout=io.StringIO())
    (entry,) = LogEntry.objects.all()
    assert (entry.user, entry.action_flag, entry.get_change_message()) == (ivan, ADDITION, "Added.")
    assert entry.object_id == str(Indicator.objects.get(code="PRO-99").pk)
