"""Review in the admin: what coordinators see, the actions, and the IM officer's tools."""

from __future__ import annotations

import pytest

from partners.models import Organisation, Role, User
from reporting import workflow
from reporting.models import LineChange, Location, MonthlyReport, ReportStatus, ReviewEvent

from .factories import LineFactory, ReportFactory

CHANGELIST = "/admin/reporting/monthlyreport/"


@pytest.fixture
def submitted(report, line, alice):
    return workflow.submit_report(report=report, by=alice)


@pytest.fixture
def others(period, alice, bob, health, protection):
    """Reports of other organisations and sectors, in every status."""
    caritas = Organisation.objects.get(acronym="CARITAS")
    acnur = Organisation.objects.get(acronym="ACNUR")
    made = {
        "caritas_health": ReportFactory(organisation=caritas, sector=health, period=period,
                                        status=ReportStatus.SUBMITTED),
        "acnur_protection": ReportFactory(organisation=acnur, sector=protection, period=period,
                                          status=ReportStatus.APPROVED),
        "caritas_protection_draft": ReportFactory(organisation=caritas, sector=protection,
                                                  period=period),
    }
    LineFactory(report=made["acnur_protection"], department=Location.objects.get(code="24"),
                location=Location.objects.get(code="24"))
    return made


def listed(response) -> set[int]:
    return {report.pk for report in response.context["cl"].result_list}


def test_a_coordinator_sees_the_submitted_and_reviewed_reports_of_their_sector(
    client, paula, submitted, others
):
    client.force_login(paula)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {submitted.pk, others["acnur_protection"].pk}


def test_an_im_officer_sees_every_report(client, ivan, submitted, others):
    client.force_login(ivan)
    assert listed(client.get(CHANGELIST)) == {submitted.pk, *(r.pk for r in others.values())}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", {"submitted", "caritas_health"}),
        ("status=approved", {"acnur_protection"}),
        ("department=24", {"acnur_protection"}),
        ("department=15", {"submitted"}),
        ("sector=PRO", {"submitted", "acnur_protection", "caritas_protection_draft"}),
        ("sector=HEA", {"caritas_health"}),
        ("period=2023-09", {"submitted", "acnur_protection", "caritas_protection_draft",
                            "caritas_health"}),
        ("period=2023-08", set()),
        ("q=HIAS", {"submitted"}),
        ("q=Cáritas", {"caritas_health", "caritas_protection_draft"}),
    ],
)
def test_the_queue_filters_and_searches(query, expected, client, ivan, submitted, others):
    client.force_login(ivan)
    names = {pk: name for name, pk in [("submitted", submitted.pk)] + [
        (name, report.pk) for name, report in others.items()
    ]}
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert {names[pk] for pk in listed(response)} == expected


def test_the_change_page_shows_the_lines_read_only_and_no_save_button(client, paula, submitted):
    client.force_login(paula)
    response = client.get(f"{CHANGELIST}{submitted.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-0-total_monthly"' not in html
    assert 'name="_save"' not in html
    assert 'value="approve"' in html and 'value="return"' in html
    assert "Lima" in html


def test_bulk_approve_approves_the_submitted_and_explains_the_rest(
    client, paula, submitted, others
):
    client.force_login(paula)
    response = client.post(
        CHANGELIST,
        {"action": "approve_selected",
         "_selected_action": [submitted.pk, others["acnur_protection"].pk]},
        follow=True,
    )
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED
    messages = [str(m) for m in response.context["messages"]]
    assert "Approved 1 report." in messages
    assert any("You cannot approve a report that is approved." in m for m in messages)


def test_bulk_return_asks_for_a_reason_first(client, paula, submitted):
    client.force_login(paula)
    page = client.post(CHANGELIST, {"action": "return_selected",
                                    "_selected_action": [submitted.pk]})
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED

    empty = client.post(CHANGELIST, {"action": "return_selected", "apply": "1", "reason": "",
                                     "_selected_action": [submitted.pk]})
    assert empty.status_code == 200 and empty.context["form"].errors["reason"]
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED

    client.post(CHANGELIST, {"action": "return_selected", "apply": "1",
                             "reason": "Revisar cifras de Lima",
                             "_selected_action": [submitted.pk]})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (
        ReportStatus.RETURNED, "Revisar cifras de Lima"
    )
    assert ReviewEvent.objects.filter(report=submitted, action="return", by=paula).exists()


def test_a_coordinator_cannot_reopen(client, paula, submitted, others):
    client.force_login(paula)
    response = client.get(CHANGELIST)
    choices = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "reopen_selected" not in choices
    client.post(f"{CHANGELIST}{others['acnur_protection'].pk}/review/",
                {"action": "reopen", "reason": "x"})
    assert MonthlyReport.objects.get(pk=others["acnur_protection"].pk).status == "approved"


def test_the_review_buttons_approve_return_and_reopen(client, paula, ivan, submitted):
    client.force_login(paula)
    response = client.post(f"{CHANGELIST}{submitted.pk}/review/",
                           {"action": "return", "reason": ""}, follow=True)
    assert "Give a reason" in " ".join(str(m) for m in response.context["messages"])
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED
    client.post(f"{CHANGELIST}{submitted.pk}/review/", {"action": "approve"})
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED

    client.force_login(ivan)
    client.post(f"{CHANGELIST}{submitted.pk}/review/",
                {"action": "reopen", "reason": "Línea duplicada"})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.status_reason) == (ReportStatus.REOPENED,
                                                           "Línea duplicada")


def test_an_unknown_review_action_is_a_404(client, paula, submitted):
    client.force_login(paula)
    assert client.post(f"{CHANGELIST}{submitted.pk}/review/",
                       {"action": "delete"}).status_code == 404


def test_nobody_adds_edits_or_deletes_reports_in_the_admin(client, ivan, submitted):
    client.force_login(ivan)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{submitted.pk}/delete/").status_code == 403
    client.post(f"{CHANGELIST}{submitted.pk}/change/", {"status": "approved"})
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_im_locks_and_unlocks_periods_with_actions(client, ivan, period):
    client.force_login(ivan)
    url = "/admin/reporting/reportingperiod/"
    client.post(url, {"action": "lock_selected", "apply": "1", "reason": "",
                      "_selected_action": [period.pk]})
    period.refresh_from_db()
    assert period.is_locked
    page = client.post(url, {"action": "unlock_selected", "_selected_action": [period.pk]})
    assert 'name="reason"' in page.content.decode()
    client.post(url, {"action": "unlock_selected", "apply": "1", "reason": "Correcciones",
                      "_selected_action": [period.pk]})
    period.refresh_from_db()
    assert not period.is_locked
    assert list(period.events.order_by("at").values_list("action", "reason")) == [
        ("lock", ""), ("unlock", "Correcciones")
    ]


def test_the_status_of_a_period_is_not_edited_by_hand(client, ivan, period):
    client.force_login(ivan)
    response = client.post(f"/admin/reporting/reportingperiod/{period.pk}/change/", {
        "month": "2023-09-01", "deadline": "2023-10-12", "lock_date": "", "status": "locked",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    period.refresh_from_db()
    assert period.status == "open"
    assert period.deadline.isoformat() == "2023-10-12"


def test_a_role_decides_admin_access_whatever_the_staff_flag(client, ivan, org_a):
    client.force_login(ivan)
    response = client.post("/admin/partners/user/add/", {
        "username": "nuevo.coord", "email": "n@example.org",
        "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42",
        "organisation": Organisation.objects.get(acronym="UNICEF").pk,
        "role": Role.COORDINATOR,
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(username="nuevo.coord").is_staff

    response = client.post("/admin/partners/user/add/", {
        "username": "nuevo.reporter", "email": "r@example.org",
        "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42",
        "organisation": org_a.pk, "role": Role.REPORTER,
    })
    assert response.status_code == 302
    assert not User.objects.get(username="nuevo.reporter").is_staff


def test_a_partner_can_never_be_staff_in_the_database(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="partner_not_staff"), transaction.atomic():
        User.objects.filter(pk=alice.pk).update(is_staff=True)


def test_what_approved_lines_were_counted_with_cannot_be_edited(client, ivan, line):
    client.force_login(ivan)
    indicator = line.indicator
    page = client.get(f"/admin/reporting/indicator/{indicator.pk}/change/").content.decode()
    assert 'name="type"' not in page and 'name="unit"' not in page
    unused = line.report.sector.indicators.exclude(pk=indicator.pk).filter(lines=None).first()
    page = client.get(f"/admin/reporting/indicator/{unused.pk}/change/").content.decode()
    assert 'name="type"' in page
    sector_page = client.get(f"/admin/reporting/sector/{line.report.sector_id}/change/")
    assert 'name="parent"' not in sector_page.content.decode()


def test_a_sector_with_sub_sectors_cannot_become_a_sub_sector(protection, health):
    from django.core.exceptions import ValidationError

    protection.parent = health
    with pytest.raises(ValidationError, match="has sub-sectors of its own"):
        protection.full_clean()


def test_deactivating_someone_in_the_admin_ends_their_sessions(client, ivan, alice):
    from django.test import Client

    alice_browser = Client()
    alice_browser.force_login(alice)
    client.force_login(ivan)
    form = client.get(f"/admin/partners/user/{alice.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if value is not None and name not in ("sectors", "password", "last_login",
                                                  "date_joined")}
    data.update({"is_active": "", "sectors": [], "organisation": alice.organisation_id})
    response = client.post(f"/admin/partners/user/{alice.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    User.objects.filter(pk=alice.pk).update(is_active=True)
    assert alice_browser.get("/").status_code == 302  # back to the sign-in page


def test_two_accounts_cannot_share_an_email(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="email_unique"), transaction.atomic():
        User.objects.create(username="other", email="ALICE@example.org", role=Role.IM_OFFICER)


def test_a_coordinator_sees_the_audit_trail_of_their_sectors_only(
    client, paula, carl, submitted, alice
):
    change = LineChange.objects.create(
        report=submitted, line_id=1, action="update", summary="PRO-01 · Lima (15)", by=alice,
        changes={"total_monthly": [1, 2]},
    )
    client.force_login(paula)
    assert client.get("/admin/reporting/linechange/").context["cl"].result_count == 1
    assert client.get(f"/admin/reporting/linechange/{change.pk}/change/").status_code == 200
    client.force_login(carl)
    assert client.get("/admin/reporting/linechange/").context["cl"].result_count == 0
    assert client.get(f"/admin/reporting/linechange/{change.pk}/change/").status_code == 404


def test_after_a_review_the_queue_keeps_its_filters(client, paula, submitted):
    client.force_login(paula)
    response = client.post(
        f"{CHANGELIST}{submitted.pk}/review/?_changelist_filters=status%3Dsubmitted%26period%3D2023-09",
        {"action": "approve"},
    )
    assert response.url == f"{CHANGELIST}?status=submitted&period=2023-09"


def test_the_queue_counts_only_people_reached(client, paula, submitted):
    from reporting.models import Indicator

    training = Indicator.objects.get(code="PRO-06")  # staff trained: people, but not counted
    MonthlyReport.objects.filter(pk=submitted.pk).update(status=ReportStatus.DRAFT)
    LineFactory(report=submitted, indicator=training, girls=0, boys=0, other_adults=0, women=5, men=5)
    MonthlyReport.objects.filter(pk=submitted.pk).update(status=ReportStatus.SUBMITTED)
    client.force_login(paula)
    row = client.get(CHANGELIST).context["cl"].result_list.get(pk=submitted.pk)
    assert row.people_month == 100


@pytest.mark.parametrize(("language", "expected", "absent"), [
    ("es", ["Tipo de población: En tránsito → Comunidad de acogida", "Niñas (0–17): 3 → 5",
            "Carga de hoja de cálculo: 20 líneas reemplazaron 3", "lineas.xlsx"],
     ["&quot;population_type&quot;", "Spreadsheet upload", "&quot;transit&quot;"]),
    ("en", ["Population type: In transit → Host community", "Girls (0–17): 3 → 5",
            "Spreadsheet upload: 20 lines replaced 3", "lineas.xlsx"],
     ["&quot;population_type&quot;", "Carga de hoja", "&quot;transit&quot;"]),
])
def test_the_review_page_reads_the_audit_trail_in_the_readers_language(
    report, alice, paula, language, expected, absent
):
    from django.test import Client

    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    LineChange.objects.create(
        report=report, line_id=1, action=LineChange.Action.UPDATE, summary="PRO-01 · Lima",
        changes={"population_type": ["transit", "host"], "girls": [3, 5]}, by=alice,
    )
    # An upload as the planner records it: the counts as data, the sentence stored in Spanish.
    LineChange.objects.create(
        report=report, line_id=0, action=LineChange.Action.IMPORT,
        summary="Carga de hoja de cálculo: 20 líneas reemplazaron 3",
        changes={"file": "lineas.xlsx", "removed": 3, "added": 20}, by=alice,
    )
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    client.force_login(paula)
    response = client.get(f"/admin/reporting/monthlyreport/{report.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in expected:
        assert text in page, (language, text)
    for text in absent:
        assert text not in page, (language, text)


@pytest.mark.parametrize("language", ["es", "en"])
def test_figures_are_grouped_by_thousands_as_on_every_other_page(client, paula, report, alice,
                                                                language):
    """1,540 and USD 1,250.50 in the review page's lines, the line list and the queue, in both
    languages (Peru writes numbers as English does: gtrm/formats/es/)."""
    from decimal import Decimal

    from reporting.models import Indicator

    cash = next(indicator for indicator in Indicator.objects.filter(sector__code__startswith="PRO")
                if "cash" in indicator.modalities and indicator.unit == "people")
    LineFactory(report=report, girls=1200, boys=340, women=0, men=0, other_adults=0,
                total_monthly=12345)
    LineFactory(report=report, indicator=cash, modality="cash", cash_usd=Decimal("1250.5"),
                delivery_mechanism="otc", population_type="transit", girls=1, boys=0, women=0,
                men=0, other_adults=0, total_monthly=1)
    workflow.submit_report(report=report, by=alice)
    client.force_login(paula)
    client.cookies["django_language"] = language

    page = client.get(f"{CHANGELIST}{report.pk}/change/").content.decode()
    assert ">1,200<" in page and ">1,540<" in page and ">12,345<" in page
    assert ">1,250.50<" in page
    assert ">1200<" not in page and ">12345<" not in page
    lines = client.get("/admin/reporting/activityline/").content.decode()
    assert ">1,540<" in lines and ">12,345<" in lines
    queue = client.get(CHANGELIST).content.decode()
    assert ">12,346<" in queue
