"""Every change is attributable: reports, lines, reference data, periods, key figures, texts and
user accounts each leave a row naming who made the change.

Reports and lines keep their own trail (ReviewEvent, LineChange, PeriodEvent); what changes in
the admin is in Django's admin history (LogEntry), which django-import-export's imports also
write; a focal point's changes to their team are written there too (partners/views.py). Each
test makes one kind of change the way a person makes it, through the pages, and reads the row.

Personas from conftest: alice (reporter, HIAS), fiona (focal point, HIAS), paula (Protection
coordinator), ivan (IM officer).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import HeldInvitation, Organisation, Role, User
from reporting.models import (
    ImportBatch,
    Indicator,
    KeyFigures,
    LineChange,
    Location,
    Narrative,
    NarrativeKind,
    PeriodEvent,
    ReportingPeriod,
    ReportStatus,
    ReviewEvent,
    Sector,
    SitrepEdition,
)

from .factories import UserFactory
from .test_admin_import_export import export, import_file
from .test_permissions import edited_line_data, new_line_data
from .test_url_discovery import upload_csv

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """Collect what a browser would submit from the page's main form: every input, checked
    box, selected option and textarea, by name."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select, self._textarea = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.append((name, attrs.get("value", "on" if "checked" in attrs else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self.data.pop()
            self.data.append((name, text + data))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def admin_form(client, url: str) -> dict:
    """Return the data the admin page at `url` would post back unchanged."""
    response = client.get(url)
    assert response.status_code == 200, url
    model_name = url.strip("/").split("/")[2]
    reader = FormReader(f"{model_name}_form")
    reader.feed(response.content.decode())
    data: dict = {}
    for name, value in reader.data:
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def last_log(model, obj) -> LogEntry:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=str(obj.pk)
    ).latest("pk")


# --------------------------------------------------------------------------------------------
# Reports and lines: their own trail
# --------------------------------------------------------------------------------------------

def test_it_names_who_moved_a_report_at_every_step(client, alice, paula, ivan, report, line):
    client.force_login(alice)
    client.post(f"/reports/{report.pk}/submit/")
    client.force_login(paula)
    client.post(f"/admin/reporting/monthlyreport/{report.pk}/review/", {"action": "approve"})
    client.force_login(ivan)
    client.post(f"/admin/reporting/monthlyreport/{report.pk}/review/",
                {"action": "reopen", "reason": "Corregir Lima."})

    report.refresh_from_db()
    assert report.status == ReportStatus.REOPENED
    steps = list(ReviewEvent.objects.filter(report=report).order_by("pk")
                 .values_list("to_status", "by__username"))
    assert steps == [("submitted", "alice"), ("approved", "paula"), ("reopened", "ivan")]


def test_it_names_who_added_changed_and_deleted_each_line(client, alice, report, line):
    client.force_login(alice)
    client.post(f"/reports/{report.pk}/lines/add/", new_line_data(report))
    client.post(f"/reports/{report.pk}/lines/{line.pk}/", edited_line_data(line))
    client.post(f"/reports/{report.pk}/lines/{line.pk}/delete/")

    added = report.lines.get()
    changes = list(LineChange.objects.filter(report=report).order_by("pk")
                   .values_list("action", "line_id", "by__username"))
    assert changes == [("create", added.pk, "alice"), ("update", line.pk, "alice"),
                       ("delete", line.pk, "alice")]


def test_it_names_who_saved_the_lines_of_an_upload(client, alice, report):
    client.force_login(alice)
    response = client.post("/imports/", {"file": SimpleUploadedFile("a.csv", upload_csv("x"))})
    batch = ImportBatch.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))
    client.post(f"/imports/{batch.pk}/confirm/")

    assert batch.uploaded_by == alice
    change = LineChange.objects.get(report=report)
    assert (change.action, change.by) == ("import", alice)


def test_it_names_who_locked_and_unlocked_a_period(client, ivan, period):
    client.force_login(ivan)
    changelist = "/admin/reporting/reportingperiod/"
    client.post(changelist, {"action": "lock_selected", "_selected_action": [period.pk],
                             "apply": "1", "reason": ""})
    client.post(changelist, {"action": "unlock_selected", "_selected_action": [period.pk],
                             "apply": "1", "reason": "Falta Tumbes."})

    events = list(PeriodEvent.objects.filter(period=period).order_by("pk")
                  .values_list("action", "by__username"))
    assert events == [("lock", "ivan"), ("unlock", "ivan")]


def test_it_names_who_published_a_situation_report(client, ivan, period):
    client.force_login(ivan)
    client.post("/situation-report/2023-09/publish/", {"note": ""})

    assert SitrepEdition.objects.get(period=period).published_by == ivan


# --------------------------------------------------------------------------------------------
# Reference data, key figures, texts and accounts changed in the admin: LogEntry
# --------------------------------------------------------------------------------------------

def _sector():
    return Sector.objects.get(code="PRO")


def _indicator():
    return Indicator.objects.order_by("code").first()


def _location():
    return Location.objects.get(code="15")


def _organisation():
    return Organisation.objects.get(acronym="HIAS")


def _key_figures(period, ivan):
    return KeyFigures.objects.create(period=period, refugees=1540000, updated_by=ivan)


# model, how to get one, the field to change and its new value
ADMIN_EDITS = [
    pytest.param(Sector, lambda period, ivan: _sector(), "name_en", "Protection (edited)",
                 id="sector"),
    pytest.param(Indicator, lambda period, ivan: _indicator(), "name_en", "Edited", id="indicator"),
    pytest.param(Location, lambda period, ivan: _location(), "name", "Lima (editado)",
                 id="location"),
    pytest.param(Organisation, lambda period, ivan: _organisation(), "name", "HIAS (editado)",
                 id="organisation"),
    pytest.param(ReportingPeriod, lambda period, ivan: period, "deadline", "2023-10-12",
                 id="period"),
    pytest.param(KeyFigures, _key_figures, "refugees", "1600000", id="key-figures"),
    pytest.param(User, lambda period, ivan: UserFactory(username="rosa", role=Role.REPORTER,
                 organisation=_organisation()), "first_name", "Rosa María", id="user"),
]


@pytest.mark.parametrize(("model", "get", "field", "value"), ADMIN_EDITS)
def test_it_names_the_im_officer_who_changed_reference_data_in_the_admin(
    client, ivan, period, model, get, field, value
):
    obj = get(period, ivan)
    client.force_login(ivan)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/"
    data = admin_form(client, url)
    data[field] = value
    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    obj.refresh_from_db()
    assert str(getattr(obj, field)) == value
    entry = last_log(model, obj)
    assert (entry.user, entry.action_flag) == (ivan, CHANGE)
    assert entry.get_change_message()  # says which field, e.g. "Changed Name (English)."


def test_it_names_who_created_an_account_in_the_admin(client, ivan, org_a):
    client.force_login(ivan)
    client.post("/admin/partners/user/add/", {
        "username": "rosa", "email": "rosa@hias.example", "password1": "Lluvia-en-Tumbes-2024",
        "password2": "Lluvia-en-Tumbes-2024", "organisation": org_a.pk, "role": Role.REPORTER,
        "usable_password": "true",
    })

    rosa = User.objects.get(username="rosa")
    entry = last_log(User, rosa)
    assert (entry.user, entry.action_flag) == (ivan, ADDITION)


def test_it_names_the_coordinator_who_wrote_the_highlights(client, paula, period):
    client.force_login(paula)
    client.post("/admin/reporting/narrative/add/", {
        "period": period.pk, "kind": NarrativeKind.HIGHLIGHTS, "sector": _sector().pk,
        "text_es": "Orientación legal en Lima.", "text_en": "",
    })

    narrative = Narrative.objects.get(period=period, kind=NarrativeKind.HIGHLIGHTS)
    assert narrative.updated_by == paula
    assert last_log(Narrative, narrative).user == paula


def test_it_names_the_im_officer_who_imported_reference_data(client, ivan):
    client.force_login(ivan)
    exported = export(client, "/admin/reporting/sector/").decode("utf-8-sig")
    import_file(client, "/admin/reporting/sector/",
                exported.replace(",Protection,", ",Protection (imported),"))

    sector = _sector()
    assert sector.name_en == "Protection (imported)"
    assert last_log(Sector, sector).user == ivan


# --------------------------------------------------------------------------------------------
# A focal point's team page
# --------------------------------------------------------------------------------------------

@pytest.fixture
def fiona_client(client, fiona):
    client.force_login(fiona)
    return client


def test_it_names_the_focal_point_who_invited_a_reporter(fiona_client, fiona):
    fiona_client.post("/team/", {"email": "rosa@hias.example", "first_name": "Rosa",
                                 "last_name": "Quispe"})

    rosa = User.objects.get(email="rosa@hias.example")
    entry = last_log(User, rosa)
    assert (entry.user, entry.action_flag) == (fiona, ADDITION)


def test_it_names_the_focal_point_even_when_the_invitation_email_fails(
    fiona_client, fiona, settings
):
    settings.EMAIL_BACKEND = "tests.test_audit.FailingBackend"
    fiona_client.post("/team/", {"email": "rosa@hias.example", "first_name": "Rosa",
                                 "last_name": "Quispe"})

    rosa = User.objects.get(email="rosa@hias.example")
    assert last_log(User, rosa).user == fiona


@pytest.mark.parametrize(("verb", "active"), [("deactivate", False), ("reactivate", True)])
def test_it_names_the_focal_point_who_deactivated_or_reactivated_a_reporter(
    fiona_client, fiona, alice, verb, active
):
    fiona_client.post(f"/team/{alice.pk}/{verb}/")

    alice.refresh_from_db()
    assert alice.is_active is active
    entry = last_log(User, alice)
    assert (entry.user, entry.action_flag) == (fiona, CHANGE)
    assert entry.get_change_message() == "Changed Active."


def test_it_names_the_focal_point_who_sent_an_invitation_again(fiona_client, fiona, alice):
    alice.set_unusable_password()
    alice.save()

    fiona_client.post(f"/team/{alice.pk}/resend/")

    assert len(mail.outbox) == 1
    entry = last_log(User, alice)
    assert (entry.user, entry.get_change_message()) == (fiona, "Invitation sent again.")


def test_it_names_the_focal_point_whose_invitation_was_held_and_each_change_to_it(
    fiona_client, fiona, bob
):
    # Bob's address has an account at Cáritas: the invitation is held, not an account.
    fiona_client.post("/team/", {"email": bob.email, "first_name": "Bob",
                                 "last_name": "Bueno"})
    held = HeldInvitation.objects.get()
    for verb in ("resend", "deactivate", "reactivate"):
        fiona_client.post(f"/team/{held.pk}/{verb}/")

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(HeldInvitation), object_id=str(held.pk),
    ).order_by("pk")
    assert [(e.user, e.action_flag, e.get_change_message()) for e in entries] == [
        (fiona, ADDITION, "Added."),
        (fiona, CHANGE, "Asked to send the invitation again; held, so nothing was sent."),
        (fiona, CHANGE, "Changed Active."),
        (fiona, CHANGE, "Changed Active."),
    ]
    # Bob's own history says nothing of an invitation that did not touch his account.
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(bob.pk)).exists()


def test_it_names_the_im_officer_who_resolved_a_held_invitation(client, fiona, bob, ivan):
    client.force_login(fiona)
    client.post("/team/", {"email": bob.email, "first_name": "Bob", "last_name": "Bueno"})
    held = HeldInvitation.objects.get()
    client.force_login(ivan)

    client.post("/admin/partners/heldinvitation/",
                {"action": "move_account", "_selected_action": [held.pk]})

    entry = last_log(HeldInvitation, held)
    assert (entry.user, entry.action_flag) == (ivan, CHANGE)
    assert entry.get_change_message() == "Account moved into the inviting organisation"
    entry = last_log(User, bob)
    assert (entry.user, entry.get_change_message()) == (ivan, "Changed Organisation.")


def test_it_writes_nothing_when_the_team_action_is_refused(client, alice, fiona):
    client.force_login(alice)  # a reporter, not a focal point

    client.post(f"/team/{fiona.pk}/deactivate/")

    assert not LogEntry.objects.exists()


class FailingBackend:
    """A mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")
