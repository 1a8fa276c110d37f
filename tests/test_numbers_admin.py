"""The situation report's inputs in the admin: key figures and narratives (written by IM officers
and, for their sectors' highlights, by coordinators), editions and reminders (read-only logs).

Personas from conftest: ivan (IM officer), carl (Health coordinator), paula (Protection
coordinator), alice (HIAS reporter), bob (Cáritas reporter).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partners.models import Organisation, Role
from reporting.models import (
    KeyFigures,
    Narrative,
    NarrativeKind,
    Reminder,
    ReminderKind,
    Sector,
    SitrepEdition,
)

from .factories import PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY_FIGURES = "/admin/reporting/keyfigures/"
NARRATIVES = "/admin/reporting/narrative/"
EDITIONS = "/admin/reporting/sitrepedition/"
REMINDERS = "/admin/reporting/reminder/"


def narrative_data(period, **overrides) -> dict:
    return {
        "period": period.pk, "kind": NarrativeKind.HIGHLIGHTS, "sector": "",
        "text_es": "Se atendió a **3.200** personas.", "text_en": "", "_save": "Save",
        **overrides,
    }


@pytest.fixture
def health_highlights(period, health, carl):
    return Narrative.objects.create(period=period, kind=NarrativeKind.HIGHLIGHTS, sector=health,
                                    text_es="Salud en Tumbes.", updated_by=carl)


@pytest.fixture
def protection_highlights(period, protection, paula):
    return Narrative.objects.create(period=period, kind=NarrativeKind.HIGHLIGHTS,
                                    sector=protection, text_es="Protección: SECRETO-PRO.",
                                    updated_by=paula)


@pytest.fixture
def situation(period, ivan):
    return Narrative.objects.create(period=period, kind=NarrativeKind.SITUATION,
                                    text_en="The situation.", updated_by=ivan)


def listed(response) -> list:
    return list(response.context["cl"].result_list)


# --------------------------------------------------------------------------------------------
# Key figures
# --------------------------------------------------------------------------------------------

def test_it_lets_the_im_officer_add_key_figures_and_records_who(client, ivan, period):
    client.force_login(ivan)
    response = client.post(f"{KEY_FIGURES}add/", {
        "period": period.pk,
        "refugees": "1540000", "refugees_source": "R4V", "refugees_date": "2023-08-31",
        "funding_required_usd": "318000000", "funding_received_usd": "44800000",
        "funding_source": "Financial Tracking System (FTS)", "funding_date": "2023-09-30",
        "_save": "Save",
    })
    assert response.status_code == 302
    figures = KeyFigures.objects.get(period=period)
    assert figures.refugees == 1540000
    assert figures.funding_received_usd == Decimal("44800000.00")
    assert figures.updated_by == ivan
    assert figures.funded_percent == 14

    listing = client.get(KEY_FIGURES)
    assert listing.status_code == 200
    body = listing.content.decode()
    for shown in ("1,540,000", "318,000,000", "44,800,000", "14%"):
        assert shown in body


def test_it_groups_the_key_figures_in_population_and_funding(client, ivan):
    client.force_login(ivan)
    response = client.get(f"{KEY_FIGURES}add/")
    assert response.status_code == 200
    fieldsets = [(fieldset.name, fieldset.fields) for fieldset in response.context["adminform"]]
    assert fieldsets == [
        (None, ("period",)),
        ("Population", ("refugees", "refugees_source", "refugees_date")),
        ("Funding", ("funding_required_usd", "funding_received_usd", "funding_source",
                     "funding_date", "funding_origin", "funding_override_reason")),
        ("FTS's own figures", ("fts_plan_id", "fts_required_usd", "fts_funded_usd")),
        ("Last change", ("updated_at", "updated_by")),
    ]


def test_it_offers_every_period_newest_first(client, ivan, period):
    PeriodFactory(month=dt.date(2023, 7, 1))
    PeriodFactory(month=dt.date(2023, 10, 1))
    client.force_login(ivan)
    for url in (f"{KEY_FIGURES}add/", f"{NARRATIVES}add/"):
        choices = client.get(url).context["adminform"].form.fields["period"].queryset
        assert [p.code for p in choices] == ["2023-10", "2023-09", "2023-07"]


@pytest.mark.parametrize("persona", ["carl", "paula"])
def test_it_keeps_key_figures_from_coordinators(client, request, period, ivan, persona):
    figures = KeyFigures.objects.create(period=period, refugees=1540000, updated_by=ivan)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(KEY_FIGURES).status_code == 403
    assert client.get(f"{KEY_FIGURES}add/").status_code == 403
    assert client.get(f"{KEY_FIGURES}{figures.pk}/change/").status_code == 403
    response = client.post(f"{KEY_FIGURES}{figures.pk}/change/", {"period": period.pk,
                                                                  "refugees": "1"})
    assert response.status_code == 403
    figures.refresh_from_db()
    assert figures.refugees == 1540000


def test_it_shows_key_figures_and_narratives_to_the_im_officer_and_narratives_to_coordinators(
    client, ivan, carl
):
    client.force_login(ivan)
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/reporting/keyfigures/"' in index
    assert 'href="/admin/reporting/narrative/"' in index
    client.force_login(carl)
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/reporting/keyfigures/"' not in index
    assert 'href="/admin/reporting/narrative/"' in index
    assert 'href="/admin/reporting/sitrepedition/"' not in index


# --------------------------------------------------------------------------------------------
# Narratives
# --------------------------------------------------------------------------------------------

def test_it_lets_the_im_officer_add_the_situation_overview_and_records_who(
    client, ivan, period
):
    client.force_login(ivan)
    response = client.post(f"{NARRATIVES}add/", narrative_data(
        period, kind=NarrativeKind.SITUATION,
        text_en="Arrivals **rose** in Tumbes.\n\n- 1,200 people\n- <b>x</b>",
    ))
    assert response.status_code == 302
    narrative = Narrative.objects.get(period=period, kind=NarrativeKind.SITUATION)
    assert narrative.sector is None
    assert narrative.updated_by == ivan

    change = client.get(f"{NARRATIVES}{narrative.pk}/change/")
    assert change.status_code == 200
    assert (
        "<p>Arrivals <strong>rose</strong> in Tumbes.</p>\n"
        "<ul><li>1,200 people</li><li>&lt;b&gt;x&lt;/b&gt;</li></ul>"
    ) in change.content.decode()


def test_it_refuses_a_situation_overview_that_names_a_sector(client, ivan, period, health):
    client.force_login(ivan)
    response = client.post(f"{NARRATIVES}add/", narrative_data(
        period, kind=NarrativeKind.SITUATION, sector=health.pk,
    ))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "sector": ["Only sector highlights name a sector."],
    }
    assert not Narrative.objects.exists()


def test_it_lets_a_coordinator_add_their_sectors_highlights(client, carl, period, health):
    client.force_login(carl)
    response = client.post(f"{NARRATIVES}add/", narrative_data(period, sector=health.pk))
    assert response.status_code == 302
    narrative = Narrative.objects.get()
    assert (narrative.kind, narrative.sector, narrative.updated_by) == (
        NarrativeKind.HIGHLIGHTS, health, carl,
    )


def test_it_offers_a_coordinator_only_their_sectors_and_no_kind(client, carl):
    client.force_login(carl)
    form = client.get(f"{NARRATIVES}add/").context["adminform"].form
    assert list(form.fields) == ["period", "sector", "text_es", "text_en"]
    assert [sector.code for sector in form.fields["sector"].queryset] == ["HEA"]


def test_it_refuses_a_coordinator_another_sectors_highlights(client, carl, period, protection):
    client.force_login(carl)
    response = client.post(f"{NARRATIVES}add/", narrative_data(period, sector=protection.pk))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["sector"][0] == (
        "Select a valid choice. That choice is not one of the available choices."
    )
    assert not Narrative.objects.exists()


def test_it_never_lets_a_coordinator_write_the_situation_overview(client, carl, period, health):
    client.force_login(carl)
    response = client.post(f"{NARRATIVES}add/", narrative_data(
        period, kind=NarrativeKind.SITUATION, sector="",
    ))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "sector": ["Choose the sector these highlights are for."],
    }
    # The kind is not the coordinator's to choose: what they save is their sector's highlights.
    client.post(f"{NARRATIVES}add/", narrative_data(
        period, kind=NarrativeKind.SITUATION, sector=health.pk,
    ))
    assert list(Narrative.objects.values_list("kind", "sector__code")) == [
        (NarrativeKind.HIGHLIGHTS, "HEA"),
    ]


def test_it_refuses_a_second_text_of_the_same_sector_and_month(
    client, carl, period, health, health_highlights
):
    client.force_login(carl)
    response = client.post(f"{NARRATIVES}add/", narrative_data(period, sector=health.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This sector already has highlights for this month.",
    ]
    assert Narrative.objects.count() == 1


def test_it_lets_a_coordinator_edit_their_highlights(client, carl, period, health,
                                                       health_highlights, paula):
    Narrative.objects.filter(pk=health_highlights.pk).update(updated_by=paula)
    client.force_login(carl)
    url = f"{NARRATIVES}{health_highlights.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, narrative_data(period, sector=health.pk, text_es="Nuevo."))
    assert response.status_code == 302
    health_highlights.refresh_from_db()
    assert (health_highlights.text_es, health_highlights.updated_by) == ("Nuevo.", carl)


def test_it_lists_only_a_coordinators_own_highlights(
    client, carl, health_highlights, protection_highlights, situation
):
    client.force_login(carl)
    response = client.get(NARRATIVES)
    assert response.status_code == 200
    assert listed(response) == [health_highlights]
    assert "SECRETO-PRO" not in response.content.decode()
    filters = [spec.title for spec in response.context["cl"].filter_specs]
    assert filters == ["period", "sector"]


def test_it_lists_every_narrative_for_the_im_officer(
    client, ivan, health_highlights, protection_highlights, situation
):
    client.force_login(ivan)
    response = client.get(NARRATIVES)
    assert set(listed(response)) == {health_highlights, protection_highlights, situation}
    assert [spec.title for spec in response.context["cl"].filter_specs] == [
        "period", "kind", "sector",
    ]
    assert listed(client.get(f"{NARRATIVES}?kind=situation")) == [situation]
    assert listed(client.get(f"{NARRATIVES}?sector=PRO")) == [protection_highlights]
    assert len(listed(client.get(f"{NARRATIVES}?period=2023-09"))) == 3


def test_it_lets_the_im_officer_edit_and_delete_any_text(
    client, ivan, period, protection, protection_highlights
):
    client.force_login(ivan)
    url = f"{NARRATIVES}{protection_highlights.pk}/"
    response = client.post(f"{url}change/", narrative_data(
        period, sector=protection.pk, text_es="Corregido.",
    ))
    assert response.status_code == 302
    protection_highlights.refresh_from_db()
    assert (protection_highlights.text_es, protection_highlights.updated_by) == ("Corregido.", ivan)
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 302
    assert not Narrative.objects.exists()


@pytest.mark.parametrize("suffix", ["change/", "history/"])
def test_it_answers_404_to_a_coordinator_on_texts_that_are_not_theirs(
    client, carl, period, health, protection_highlights, situation, suffix
):
    client.force_login(carl)
    for narrative in (protection_highlights, situation):
        url = f"{NARRATIVES}{narrative.pk}/{suffix}"
        assert client.get(url).status_code == 404
        response = client.post(url, narrative_data(period, sector=health.pk, text_es="Tomado."))
        assert response.status_code == 404
    protection_highlights.refresh_from_db()
    assert protection_highlights.text_es == "Protección: SECRETO-PRO."
    assert protection_highlights.sector.code == "PRO"


def test_it_does_not_let_a_coordinator_delete_texts(
    client, carl, health_highlights, protection_highlights
):
    client.force_login(carl)
    # The same 403 for their own text, another sector's and a made-up id: it tells nothing.
    for pk in (health_highlights.pk, protection_highlights.pk, 999999):
        assert client.get(f"{NARRATIVES}{pk}/delete/").status_code == 403
        assert client.post(f"{NARRATIVES}{pk}/delete/", {"post": "yes"}).status_code == 403
    assert Narrative.objects.count() == 2


def test_it_lets_a_sub_sectors_coordinator_write_the_parent_sectors_highlights(
    client, period, protection, protection_highlights
):
    cora = UserFactory(username="cora", organisation=Organisation.objects.get(acronym="UNICEF"),
                       role=Role.COORDINATOR)
    cora.sectors.add(Sector.objects.get(code="PRO-CP"))
    client.force_login(cora)
    form = client.get(f"{NARRATIVES}add/").context["adminform"].form
    assert [sector.code for sector in form.fields["sector"].queryset] == ["PRO"]
    assert client.get(f"{NARRATIVES}{protection_highlights.pk}/change/").status_code == 200


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_it_answers_404_to_partners_on_key_figures_and_narratives(
    client, request, persona, period, ivan, health_highlights
):
    figures = KeyFigures.objects.create(period=period, refugees=1540000, updated_by=ivan)
    client.force_login(request.getfixturevalue(persona))
    for url in (KEY_FIGURES, f"{KEY_FIGURES}add/", f"{KEY_FIGURES}{figures.pk}/change/",
                NARRATIVES, f"{NARRATIVES}add/", f"{NARRATIVES}{health_highlights.pk}/change/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text_es": "x"}).status_code == 404, url
    assert Narrative.objects.get().text_es == "Salud en Tumbes."


# --------------------------------------------------------------------------------------------
# Editions and reminders: logs, read-only, IM officers only
# --------------------------------------------------------------------------------------------

@pytest.fixture
def edition(period, ivan):
    return SitrepEdition.objects.create(period=period, number=2, data={"period": "2023-09"},
                                        note="Corrects Tumbes.", published_by=ivan)


@pytest.fixture
def reminder(period, alice):
    return Reminder.objects.create(period=period, recipient=alice, kind=ReminderKind.OVERDUE,
                                   sent_on=dt.date(2023, 10, 11), missing=["Protection", "Health"])


def test_it_lists_editions_with_a_link_to_their_public_page(client, ivan, edition):
    client.force_login(ivan)
    response = client.get(EDITIONS)
    assert response.status_code == 200
    assert listed(response) == [edition]
    body = response.content.decode()
    assert '<a href="/sitreps/2023-09/2/">/sitreps/2023-09/2/</a>' in body
    assert "Corrects Tumbes." in body


def test_it_never_edits_or_deletes_a_published_edition(client, ivan, edition):
    client.force_login(ivan)
    assert client.get(f"{EDITIONS}add/").status_code == 403
    page = client.get(f"{EDITIONS}{edition.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(f"{EDITIONS}{edition.pk}/change/", {"note": "Rewritten"}).status_code == 403
    assert client.post(f"{EDITIONS}{edition.pk}/delete/", {"post": "yes"}).status_code == 403
    edition.refresh_from_db()
    assert edition.note == "Corrects Tumbes."


def test_it_lists_reminders_read_only(client, ivan, reminder):
    client.force_login(ivan)
    response = client.get(REMINDERS)
    assert response.status_code == 200
    assert listed(response) == [reminder]
    assert "Protection; Health" in response.content.decode()
    assert client.get(f"{REMINDERS}add/").status_code == 403
    assert client.post(f"{REMINDERS}{reminder.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Reminder.objects.filter(pk=reminder.pk).exists()


@pytest.mark.parametrize("persona", ["carl", "paula"])
def test_it_keeps_editions_and_reminders_from_coordinators(
    client, request, persona, edition, reminder
):
    client.force_login(request.getfixturevalue(persona))
    for url in (EDITIONS, f"{EDITIONS}{edition.pk}/change/", REMINDERS,
                f"{REMINDERS}{reminder.pk}/change/"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(("received", "required", "percent"), [
    (44_800_000, 318_000_000, 14), (25_000_000, 200_000_000, 13), (1, 3, 33), (0, 5, 0),
])
def test_the_funded_share_rounds_half_up(received, required, percent):
    from reporting.models import KeyFigures

    figures = KeyFigures(funding_received_usd=received, funding_required_usd=required)
    assert figures.funded_percent == percent
