"""Accounts as people meet them: invitations, the team page, sign-in, throttling, passwords.

Personas from conftest: alice (reporter, HIAS), fiona (focal point, HIAS), bob (reporter,
Cáritas del Perú). Every persona's password is PASSWORD.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.test import Client, override_settings
from django.utils.html import escape

from partners import services
from partners.models import HeldInvitation, Role, User

from .factories import UserFactory

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "Lluvia-en-Tumbes-2024"
MARIA = "maria.quispe@example.org"

# The invitation and the reset email carry the same kind of link.
LINK = re.compile(r"http://testserver(/accounts/reset/[\w-]+/[\w-]+/)")


def link_in(message) -> str:
    """Return the path of the set-password link in an email."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def is_signed_in(client: Client) -> bool:
    response = client.get("/reports/")
    return response.status_code == 200


def choose_password(client: Client, link: str, password: str = NEW_PASSWORD):
    """Follow an emailed link as a browser does and submit the new password."""
    response = client.get(link)
    # Django takes the token out of the URL (and puts it in the session) before showing the form.
    assert response.status_code == 302
    assert re.fullmatch(r"/accounts/reset/[\w-]+/set-password/", response.url)
    form_url = response.url
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    return client.post(form_url, {"new_password1": password, "new_password2": password})


@pytest.fixture
def other_client() -> Client:
    """A second browser."""
    return Client()


@pytest.fixture
def fiona_client(client, fiona):
    client.force_login(fiona)
    return client


@pytest.fixture
def alice_client(other_client, alice):
    other_client.force_login(alice)
    return other_client


@pytest.fixture
def carmen(org_b):
    """A focal point of Cáritas del Perú, another organisation than alice's."""
    return UserFactory(username="carmen", organisation=org_b, role=Role.FOCAL_POINT)


@pytest.fixture
def felix(org_a):
    """HIAS's second focal point."""
    return UserFactory(username="felix", organisation=org_a, role=Role.FOCAL_POINT)


@pytest.fixture
def invite(fiona_client):
    """Invite someone from fiona's team page."""

    def invite(email: str = MARIA, first_name: str = "María", last_name: str = "Quispe"):
        return fiona_client.post(
            "/team/", {"email": email, "first_name": first_name, "last_name": last_name}
        )

    return invite


@pytest.fixture
def maria(invite, mailoutbox):
    """An invited reporter at HIAS who has not chosen a password yet."""
    response = invite()
    assert response.status_code == 302
    mailoutbox.clear()
    return User.objects.get(email=MARIA)


# Inviting a reporter


def test_it_shows_the_team_page_to_a_focal_point(fiona_client, fiona, alice, bob):
    response = fiona_client.get("/team/")
    assert response.status_code == 200
    assert {member.email for member in response.context["members"]} == {alice.email, fiona.email}
    assert alice.email in response.content.decode()
    assert bob.email not in response.content.decode()


def test_it_sends_an_anonymous_visitor_to_sign_in_before_the_team_page(client, db):
    response = client.get("/team/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/team/"


def test_it_sends_one_invitation_email_naming_the_organisation(invite, mailoutbox, fiona):
    response = invite()

    assert response.status_code == 302
    assert response.url == "/team/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [MARIA]
    assert "HIAS" in message.subject
    assert "HIAS" in message.body
    assert "María" in message.body
    assert fiona.get_full_name() in message.body
    assert MARIA in message.body  # the username they will sign in with
    assert link_in(message).startswith("/accounts/reset/")


def test_it_makes_the_invited_person_a_reporter_of_the_focal_points_organisation(
    invite, fiona, org_a
):
    invite(email="  Maria.Quispe@Example.org ")

    maria = User.objects.get(email=MARIA)
    assert maria.username == MARIA
    assert (maria.first_name, maria.last_name) == ("María", "Quispe")
    assert maria.organisation == org_a
    assert maria.role == Role.REPORTER
    assert maria.invited_by == fiona
    assert maria.is_active and not maria.is_staff
    assert not maria.has_usable_password()


def test_it_lists_the_invited_person_on_the_team_page(invite, fiona_client):
    response = fiona_client.get(invite().url)

    maria = User.objects.get(email=MARIA)
    assert [MARIA in str(message) for message in response.context["messages"]] == [True]
    assert MARIA in [member.email for member in response.context["members"]]
    # Only someone who has not chosen a password yet gets the "Resend invitation" button.
    assert f'action="/team/{maria.pk}/resend/"' in response.content.decode()


def test_it_does_not_let_the_invited_person_sign_in_before_choosing_a_password(
    maria, other_client
):
    for password in ("", "!", PASSWORD):
        response = sign_in(other_client, MARIA, password, ip="10.0.0.7")
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not is_signed_in(other_client)


def test_it_lets_the_invited_person_choose_a_password_and_sign_in(invite, mailoutbox, other_client):
    invite()
    link = link_in(mailoutbox[0])

    response = choose_password(other_client, link)
    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    assert other_client.get(response.url).status_code == 200
    assert User.objects.get(email=MARIA).check_password(NEW_PASSWORD)
    assert not is_signed_in(other_client)  # choosing a password does not sign in by itself

    response = sign_in(other_client, MARIA, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.url == "/"
    response = other_client.get("/")
    assert response.status_code == 200
    assert response.context["user"].email == MARIA


def test_it_does_not_accept_the_invitation_link_a_second_time(invite, mailoutbox, other_client):
    invite()
    link = link_in(mailoutbox[0])
    choose_password(other_client, link)

    for browser in (other_client, Client()):
        response = browser.get(link, follow=True)
        assert response.status_code == 200
        assert response.context["validlink"] is False
        assert "form" not in response.context or response.context["form"] is None

    # Not even by posting to the form's URL directly.
    uidb64 = link.split("/")[3]
    response = other_client.post(
        f"/accounts/reset/{uidb64}/set-password/",
        {"new_password1": "Otra-clave-segura-99", "new_password2": "Otra-clave-segura-99"},
    )
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert User.objects.get(email=MARIA).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("typed", ["alice@example.org", "ALICE@Example.ORG ", "fiona@example.org"])
def test_it_refuses_to_invite_an_address_already_on_the_team(
    invite, mailoutbox, alice, typed
):
    accounts = User.objects.count()

    response = invite(email=typed)

    assert response.status_code == 200
    assert User.objects.count() == accounts
    assert mailoutbox == []
    address = typed.strip().lower()
    assert response.context["form"].errors["email"] == [
        services.ALREADY_IN_TEAM % {"email": address}]
    assert address in response.content.decode()


def test_it_refuses_to_invite_the_same_person_twice(invite, mailoutbox):
    invite()
    response = invite()

    assert response.status_code == 200
    assert User.objects.filter(email=MARIA).count() == 1
    assert len(mailoutbox) == 1
    assert MARIA in response.context["form"].errors["email"][0]


def test_it_invites_a_person_whose_address_has_an_apostrophe(invite, mailoutbox):
    response = invite(email="rosa.o'brien@example.org", first_name="Rosa", last_name="O'Brien")

    assert response.status_code == 302
    assert User.objects.filter(email="rosa.o'brien@example.org").exists()
    assert len(mailoutbox) == 1


def test_it_forbids_a_reporter_to_invite(alice_client, mailoutbox):
    assert alice_client.get("/team/").status_code == 403

    response = alice_client.post(
        "/team/", {"email": MARIA, "first_name": "María", "last_name": "Quispe"}
    )

    assert response.status_code == 403
    assert not User.objects.filter(email=MARIA).exists()
    assert mailoutbox == []


# An address that has an account in another organisation (issue 11, item 6)
#
# Fiona (HIAS) invites reporter.caritas@example.org, the address of Rosa, a reporter of
# Cáritas del Perú, whose focal point is Carmen. Fiona must not learn that the address has an
# account; Rosa must get nothing; Ivan (IM officer) is told and decides.

ROSA = "reporter.caritas@example.org"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
ROW_NUMBER = re.compile(r"/team/(\d+)/")


@pytest.fixture
def rosa(org_b):
    """A reporter of Cáritas del Perú."""
    return UserFactory(username="reporter.caritas", email=ROSA, first_name="Rosa",
                       last_name="Quispe", organisation=org_b, role=Role.REPORTER)


def as_seen(client: Client, response) -> tuple:
    """Return what the browser shows for `response`: its status, where it redirects and the
    page it shows then, with the CSRF tokens and the numbers of the team's buttons masked
    (they differ on every page and for every new person alike)."""
    location = response.url if response.status_code == 302 else None
    page = client.get(location) if location else response
    html = CSRF.sub('name="csrfmiddlewaretoken" value=""', page.content.decode())
    return response.status_code, location, page.status_code, ROW_NUMBER.sub("/team/N/", html)


def what_fiona_sees(client: Client, email: str = ROSA) -> list[tuple]:
    """Invite `email` as Rosa Quispe, resend the invitation, deactivate and reactivate her,
    invite her again; return what the browser showed at each step. Nothing is kept."""
    data = {"email": email, "first_name": "Rosa", "last_name": "Quispe"}
    with transaction.atomic():
        response = client.post("/team/", data)
        seen = [as_seen(client, response)]
        numbers = set(ROW_NUMBER.findall(client.get("/team/").content.decode()))
        for number in numbers:  # the one new row, if the invitation made one
            for verb in ("resend", "deactivate", "reactivate"):
                seen.append(as_seen(client, client.post(f"/team/{number}/{verb}/")))
        seen.append(as_seen(client, client.post("/team/", data)))
        transaction.set_rollback(True)
    return seen


def test_it_answers_an_address_with_an_account_elsewhere_exactly_as_a_free_one(
    fiona_client, org_b, ivan, mailoutbox
):
    free = what_fiona_sees(fiona_client)
    assert [to for message in mailoutbox for to in message.to] == [ROSA, ROSA]
    mailoutbox.clear()
    UserFactory(username="reporter.caritas", email=ROSA, organisation=org_b)

    taken = what_fiona_sees(fiona_client)

    assert len(free) == 5
    assert taken == free
    assert [status for status, *_rest in taken] == [302, 302, 302, 302, 200]
    invited_page = taken[0][3]
    assert "Invitation sent to reporter.caritas@example.org." in invited_page
    assert "Invited" in invited_page and "Resend invitation" in invited_page
    assert "Cáritas" not in invited_page and "Caritas" not in invited_page
    assert escape(services.ALREADY_IN_TEAM % {"email": ROSA}) in taken[-1][3]
    assert ROSA not in [to for message in mailoutbox for to in message.to]


@pytest.mark.parametrize("holder", ["rosa", "paula", "ivan", "inactive"])
def test_it_holds_an_invitation_to_anyone_elses_address_as_a_pending_one(
    invite, fiona_client, request, org_b, holder, mailoutbox
):
    if holder == "inactive":
        account = UserFactory(username="gone", organisation=org_b, is_active=False)
    else:
        account = request.getfixturevalue(holder)
    accounts = User.objects.count()

    response = invite(email=account.email.upper())

    assert response.status_code == 302
    assert response.url == "/team/"
    assert User.objects.count() == accounts
    held = HeldInvitation.objects.get()
    assert (held.email, held.holder, held.organisation.acronym) == (
        account.email, account, "HIAS")
    members = fiona_client.get("/team/").context["members"]
    assert [(m.email, m.is_active, m.signed_up) for m in members if m.pk == held.pk] == [
        (account.email, True, False)]
    # The IM team is told (Ivan too, as an IM officer); nobody gets a set-password link.
    assert all(LINK.search(message.body) is None for message in mailoutbox)


def test_it_numbers_a_held_invitation_as_the_next_new_account(invite, rosa, fiona):
    highest = User.objects.order_by("-pk").values_list("pk", flat=True)[0]

    invite(email=ROSA)
    invite(email=MARIA)

    held = HeldInvitation.objects.get()
    maria = User.objects.get(email=MARIA)
    assert highest < held.pk < maria.pk


def set_the_account_sequence_back_as_loaddata_does():
    """Set the accounts' sequence to the highest account id, as a restore with `loaddata`
    leaves it (PostgreSQL's sequence reset; SQLite keeps the highest id inserted)."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'SELECT setval(pg_get_serial_sequence(%s, \'id\'), MAX(id)) '
                           f'FROM "{table}"', [table])
        else:
            cursor.execute(f'UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM "{table}") '
                           f"WHERE name = %s", [table])


def test_it_never_gives_an_account_the_number_of_a_held_invitation_after_a_restore(
    invite, rosa, ivan, admin_client
):
    invite(email=ROSA)
    held = HeldInvitation.objects.get()
    set_the_account_sequence_back_as_loaddata_does()

    invite(email=MARIA)
    admin_client.post("/admin/partners/user/add/", {
        "username": "ines", "email": "ines@example.org", "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD, "role": Role.IM_OFFICER})

    maria, ines = User.objects.get(email=MARIA), User.objects.get(username="ines")
    assert held.pk < maria.pk < ines.pk


def test_it_tells_the_im_team_who_invited_whom_for_which_organisation(
    invite, rosa, fiona, ivan, mailoutbox, settings
):
    settings.LANGUAGE_CODE = "es"  # the site's language, whatever the focal point's
    UserFactory(username="ines", organisation=ivan.organisation, role=Role.IM_OFFICER)

    invite(email=ROSA)

    (message,) = mailoutbox
    assert sorted(message.to) == ["ines@example.org", "ivan@example.org"]
    assert message.subject == f"Invitación retenida: {ROSA}, invitada por HIAS"
    held = HeldInvitation.objects.get()
    for fact in (fiona.get_full_name(), "HIAS", "Rosa Quispe", ROSA, "reporter.caritas",
                 "Cáritas del Perú", "Reportero/a del socio",
                 f"http://testserver/admin/partners/heldinvitation/{held.pk}/change/",
                 f"http://testserver/admin/partners/user/{rosa.pk}/change/"):
        assert fact in message.body, fact
    assert "/accounts/reset/" not in message.body


def test_it_lists_the_held_invitation_for_the_im_team_in_the_admin(invite, rosa, ivan):
    invite(email=ROSA)
    client = Client()
    client.force_login(ivan)

    page = client.get("/admin/partners/heldinvitation/").content.decode()

    assert ROSA in page and "HIAS" in page and "Cáritas del Perú" in page
    held = HeldInvitation.objects.get()
    assert client.get(f"/admin/partners/heldinvitation/{held.pk}/change/").status_code == 200


def test_it_gives_hias_no_hold_on_rosas_account(
    fiona_client, invite, rosa, org_b, mailoutbox, other_client
):
    invite(email=ROSA)
    held = HeldInvitation.objects.get()

    for verb in ("resend", "deactivate", "reactivate", "deactivate"):
        assert fiona_client.post(f"/team/{held.pk}/{verb}/").status_code == 302

    rosa.refresh_from_db()
    assert (rosa.organisation, rosa.role, rosa.is_active, rosa.invited_by) == (
        org_b, Role.REPORTER, True, None)
    assert rosa.check_password(PASSWORD)
    assert User.objects.filter(email__iexact=ROSA).count() == 1
    assert mailoutbox == []
    response = sign_in(other_client, ROSA)
    assert response.status_code == 302
    assert other_client.get("/").context["user"].organisation == org_b
    # Rosa's own links still work and reach only her account.
    other_client.post("/accounts/logout/")
    other_client.post("/accounts/password_reset/", {"email": ROSA})
    assert [message.to for message in mailoutbox] == [[ROSA]]


def test_it_lets_caritas_focal_point_manage_her_own_reporter(client, invite, rosa, carmen):
    invite(email=ROSA)
    client.force_login(carmen)

    members = client.get("/team/").context["members"]
    assert [member.pk for member in members if member.email == ROSA] == [rosa.pk]
    assert not HeldInvitation.objects.filter(organisation=carmen.organisation).exists()
    response = client.post("/team/", {"email": ROSA, "first_name": "Rosa", "last_name": "Q"})
    assert response.context["form"].errors["email"] == [
        services.ALREADY_IN_TEAM % {"email": ROSA}]
    assert client.post(f"/team/{rosa.pk}/deactivate/").status_code == 302
    rosa.refresh_from_db()
    assert not rosa.is_active
    assert client.post(f"/team/{rosa.pk}/reactivate/").status_code == 302
    rosa.refresh_from_db()
    assert rosa.is_active


@pytest.mark.parametrize("verb", ["deactivate", "reactivate", "resend"])
def test_it_hides_hias_held_invitation_from_another_focal_point(
    client, invite, rosa, carmen, verb
):
    invite(email=ROSA)
    held = HeldInvitation.objects.get()
    client.force_login(carmen)

    assert client.post(f"/team/{held.pk}/{verb}/").status_code == 404
    held.refresh_from_db()
    assert held.is_active


def test_it_answers_as_for_a_free_address_when_another_invitation_takes_it_meanwhile(
    invite, rosa, mailoutbox, monkeypatch
):
    # Cáritas invited Rosa a moment before: HIAS's look-up missed her account, and the save
    # meets the unique email constraint, whose message must not reach Fiona.
    look_up = services.account_with_email
    missed = []

    def just_too_early(email):
        if not missed:
            missed.append(email)
            return None
        return look_up(email)

    monkeypatch.setattr(services, "account_with_email", just_too_early)

    response = invite(email=ROSA)

    assert missed == [ROSA]
    assert response.status_code == 302
    assert response.url == "/team/"
    assert HeldInvitation.objects.get().holder == rosa
    assert User.objects.filter(email__iexact=ROSA).count() == 1
    assert mailoutbox == []


def test_the_im_team_moves_the_account_when_the_person_changed_organisation(
    other_client, fiona_client, invite, rosa, ivan, org_a
):
    invite(email=ROSA)
    held = HeldInvitation.objects.get()
    other_client.force_login(ivan)

    response = other_client.post("/admin/partners/heldinvitation/", {
        "action": "move_account", "_selected_action": [held.pk]})

    assert response.status_code == 302
    rosa.refresh_from_db()
    assert rosa.organisation == org_a
    held.refresh_from_db()
    assert (held.resolution, held.resolved_by) == ("moved", ivan)
    members = fiona_client.get("/team/").context["members"]
    assert [(member.pk, member.signed_up) for member in members if member.email == ROSA] == [
        (rosa.pk, True)]


def test_the_im_team_closes_the_invitation_and_the_account_stays(
    other_client, fiona_client, invite, rosa, ivan, org_b
):
    invite(email=ROSA)
    held = HeldInvitation.objects.get()
    other_client.force_login(ivan)

    other_client.post("/admin/partners/heldinvitation/", {
        "action": "leave_account", "_selected_action": [held.pk]})

    rosa.refresh_from_db()
    assert rosa.organisation == org_b
    held.refresh_from_db()
    assert (held.resolution, held.resolved_by) == ("left", ivan)
    assert ROSA not in [m.email for m in fiona_client.get("/team/").context["members"]]
    assert fiona_client.post(f"/team/{held.pk}/resend/").status_code == 404


def test_the_im_team_does_not_move_a_coordinators_account(invite, paula, ivan):
    invite(email=paula.email)
    held = HeldInvitation.objects.get()

    with pytest.raises(ValidationError):
        services.resolve_held_invitation(invitation=held, by=ivan, move=True)

    paula.refresh_from_db()
    assert paula.role == Role.COORDINATOR
    assert HeldInvitation.objects.get().is_open


def test_only_the_im_team_resolves_a_held_invitation(invite, rosa, fiona):
    invite(email=ROSA)

    with pytest.raises(PermissionDenied):
        services.resolve_held_invitation(
            invitation=HeldInvitation.objects.get(), by=fiona, move=True)


# Deactivating, reactivating and resending


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "resend"])
def test_it_hides_alice_from_a_focal_point_of_another_organisation(
    client, carmen, alice, mailoutbox, action
):
    client.force_login(carmen)

    response = client.post(f"/team/{alice.pk}/{action}/")

    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.is_active
    assert mailoutbox == []


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "resend"])
def test_it_forbids_a_reporter_to_manage_a_colleague(alice_client, maria, mailoutbox, action):
    response = alice_client.post(f"/team/{maria.pk}/{action}/")

    assert response.status_code == 403
    maria.refresh_from_db()
    assert maria.is_active
    assert mailoutbox == []


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "resend"])
def test_it_rejects_get_on_the_team_actions(fiona_client, alice, action):
    response = fiona_client.get(f"/team/{alice.pk}/{action}/")

    assert response.status_code == 405
    alice.refresh_from_db()
    assert alice.is_active


def test_it_forbids_a_focal_point_to_deactivate_themselves(fiona_client, fiona):
    response = fiona_client.post(f"/team/{fiona.pk}/deactivate/")

    assert response.status_code == 403
    fiona.refresh_from_db()
    assert fiona.is_active
    assert is_signed_in(fiona_client)


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
def test_it_forbids_a_focal_point_to_change_another_focal_point(fiona_client, felix, action):
    response = fiona_client.post(f"/team/{felix.pk}/{action}/")

    assert response.status_code == 403
    felix.refresh_from_db()
    assert felix.is_active


def test_it_stops_a_deactivated_reporter_from_signing_in(fiona_client, alice, other_client):
    response = fiona_client.post(f"/team/{alice.pk}/deactivate/")

    assert response.status_code == 302
    assert response.url == "/team/"
    alice.refresh_from_db()
    assert not alice.is_active
    response = sign_in(other_client, "alice")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not is_signed_in(other_client)


def test_it_signs_out_a_reporter_when_she_is_deactivated(fiona_client, alice, alice_client):
    assert is_signed_in(alice_client)

    fiona_client.post(f"/team/{alice.pk}/deactivate/")

    response = alice_client.get("/reports/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/reports/"
    assert alice_client.get("/").status_code == 302


def test_it_lets_a_reactivated_reporter_sign_in_again(fiona_client, alice):
    fiona_client.post(f"/team/{alice.pk}/deactivate/")

    response = fiona_client.post(f"/team/{alice.pk}/reactivate/")

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    browser = Client()
    response = sign_in(browser, "alice")
    assert response.status_code == 302
    assert response.url == "/"
    assert is_signed_in(browser)


def test_it_shows_the_deactivated_reporter_as_such_on_the_team_page(fiona_client, alice):
    response = fiona_client.post(f"/team/{alice.pk}/deactivate/", follow=True)

    content = response.content.decode()
    assert f"/team/{alice.pk}/reactivate/" in content
    assert f"/team/{alice.pk}/deactivate/" not in content


def test_it_does_not_bring_back_an_old_session_when_the_reporter_is_reactivated(
    fiona_client, alice, alice_client
):
    fiona_client.post(f"/team/{alice.pk}/deactivate/")
    assert not is_signed_in(alice_client)

    fiona_client.post(f"/team/{alice.pk}/reactivate/")

    assert not is_signed_in(alice_client)


def test_it_resends_the_invitation_to_someone_who_has_not_chosen_a_password(
    fiona_client, maria, mailoutbox, other_client
):
    response = fiona_client.post(f"/team/{maria.pk}/resend/")

    assert response.status_code == 302
    assert response.url == "/team/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [MARIA]
    assert "HIAS" in mailoutbox[0].body
    response = choose_password(other_client, link_in(mailoutbox[0]))
    assert response.status_code == 302
    assert sign_in(other_client, MARIA, NEW_PASSWORD).status_code == 302


def test_it_refuses_to_resend_once_the_password_is_chosen(fiona_client, alice, mailoutbox):
    response = fiona_client.post(f"/team/{alice.pk}/resend/")

    assert response.status_code == 403
    assert mailoutbox == []


def test_it_refuses_to_resend_after_the_invited_person_chose_a_password(
    fiona_client, maria, mailoutbox, other_client
):
    fiona_client.post(f"/team/{maria.pk}/resend/")
    choose_password(other_client, link_in(mailoutbox[0]))
    mailoutbox.clear()

    response = fiona_client.post(f"/team/{maria.pk}/resend/")

    assert response.status_code == 403
    assert mailoutbox == []


def test_it_does_not_resend_an_invitation_to_a_deactivated_person(fiona_client, maria, mailoutbox):
    fiona_client.post(f"/team/{maria.pk}/deactivate/")

    fiona_client.post(f"/team/{maria.pk}/resend/")

    assert mailoutbox == []


# Password reset


def test_it_emails_a_reset_link_to_a_known_address(client, alice, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})

    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.org"]
    assert link_in(mailoutbox[0])


def test_it_shows_the_same_page_for_an_unknown_address(client, alice, mailoutbox):
    known = client.post("/accounts/password_reset/", {"email": "alice@example.org"}, follow=True)
    mailoutbox.clear()

    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.org"}, follow=True)

    assert mailoutbox == []
    assert unknown.redirect_chain == known.redirect_chain == [("/accounts/password_reset/done/", 302)]
    assert unknown.status_code == known.status_code == 200
    assert [t.name for t in unknown.templates] == [t.name for t in known.templates]


def test_it_lets_the_user_set_a_new_password_with_the_reset_link(client, alice, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    link = link_in(mailoutbox[0])

    response = choose_password(client, link)

    assert response.status_code == 302
    assert response.url == "/accounts/reset/done/"
    assert sign_in(Client(), "alice", PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, "alice", NEW_PASSWORD).status_code == 302
    assert is_signed_in(client)
    assert Client().get(link, follow=True).context["validlink"] is False


def test_it_sends_no_reset_link_to_a_deactivated_account(client, fiona_client, alice, mailoutbox):
    fiona_client.post(f"/team/{alice.pk}/deactivate/")

    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_it_lets_an_invited_person_get_a_new_link_from_the_reset_page(client, maria, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": MARIA})

    assert response.status_code == 302
    assert len(mailoutbox) == 1


# Sign in and throttling


def fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> list[int]:
    return [sign_in(client, username, "wrong password", ip).status_code for _ in range(times)]


def test_it_signs_in_and_lands_on_the_home_page(client, alice):
    response = sign_in(client, "alice")

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_it_lets_a_signed_in_user_sign_in_as_someone_else(alice_client, bob):
    # On a shared computer the next person gets the form, not the previous person's home page.
    response = alice_client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()

    sign_in(alice_client, "bob")
    assert alice_client.get("/").context["user"] == bob


def test_it_does_not_follow_a_next_address_on_another_site(client, alice):
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response.url == "/"


def test_it_locks_a_username_out_from_an_address_after_five_failures(client, alice):
    statuses = fail(client, "alice", 5)

    # The fifth failure already answers with the locked-out page.
    assert statuses == [200, 200, 200, 200, 429]
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "/accounts/password_reset/" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not is_signed_in(client)


def test_it_does_not_lock_out_another_username_from_the_same_address(client, alice, bob):
    fail(client, "alice", 5)

    response = sign_in(client, "bob")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_it_does_not_lock_out_the_same_username_from_another_address(client, alice):
    fail(client, "alice", 5, ip="10.0.0.1")

    response = sign_in(client, "alice", ip="10.0.0.2")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_it_lets_the_user_in_again_after_the_cool_off(client, alice):
    fail(client, "alice", 5)
    assert sign_in(client, "alice").status_code == 429

    AccessAttempt.objects.filter(username="alice").update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert is_signed_in(client)
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_it_keeps_the_lockout_until_the_cool_off_has_passed(client, alice):
    fail(client, "alice", 5)

    AccessAttempt.objects.filter(username="alice").update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )

    assert sign_in(client, "alice").status_code == 429


def test_it_lets_the_user_in_again_once_the_attempts_are_reset(client, alice):
    fail(client, "alice", 5)

    axes_reset(username="alice")

    assert sign_in(client, "alice").status_code == 302


def test_it_forgets_earlier_failures_after_a_successful_sign_in(client, alice):
    assert fail(client, "alice", 4) == [200] * 4
    assert sign_in(client, "alice").status_code == 302
    client.post("/accounts/logout/")

    assert fail(client, "alice", 4) == [200] * 4
    assert sign_in(client, "alice").status_code == 302


@override_settings(AXES_COOLOFF_TIME=timedelta(minutes=30))
def test_it_tells_a_locked_out_user_how_long_to_wait(client, alice):
    fail(client, "alice", 5)

    response = sign_in(client, "alice")

    assert response.status_code == 429
    notice = re.search(r'class="alert[^"]*">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert re.search(r"\b30\b", notice) and not re.search(r"\b15\b", notice)


def test_it_lets_a_locked_out_user_in_after_resetting_the_password(client, alice, mailoutbox):
    fail(client, "alice", 5)
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    choose_password(client, link_in(mailoutbox[0]))

    response = sign_in(client, "alice", NEW_PASSWORD)

    assert response.status_code == 302


# Password change and sign out


def test_it_sends_an_anonymous_visitor_to_sign_in_before_changing_a_password(client, db):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/password_change/"


def test_it_lets_a_signed_in_user_change_their_password(client, alice):
    sign_in(client, "alice")
    assert client.get("/accounts/password_change/").status_code == 200

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    assert client.get(response.url).status_code == 200
    assert is_signed_in(client)
    assert sign_in(Client(), "alice", PASSWORD).status_code == 200
    assert sign_in(Client(), "alice", NEW_PASSWORD).status_code == 302


def test_it_asks_for_the_current_password_before_changing_it(alice_client, alice):
    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_signs_out_other_browsers_when_the_password_changes(client, alice, alice_client):
    sign_in(client, "alice")

    client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert is_signed_in(client)
    assert not is_signed_in(alice_client)


# Password strength: ten characters at least (PASSWORD_MIN_LENGTH), none of the common ones

WEAK = ["demo1234", "Tumbes-24", "qwertyuiop", "1234567890"]
TOO_SHORT = "This password is too short. It must contain at least 10 characters."


def test_it_asks_for_ten_characters_and_keeps_the_common_password_list():
    validators = {type(v).__name__: v for v in password_validation.get_default_password_validators()}

    assert settings.PASSWORD_MIN_LENGTH == 10
    assert validators["MinimumLengthValidator"].min_length == 10
    assert "CommonPasswordValidator" in validators


@pytest.mark.parametrize("weak", WEAK)
def test_it_refuses_a_weak_password_on_the_set_password_page_of_an_invitation(
    invite, mailoutbox, other_client, weak
):
    invite()

    response = choose_password(other_client, link_in(mailoutbox[0]), weak)

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert not User.objects.get(email=MARIA).has_usable_password()


def test_it_says_why_demo1234_is_refused(invite, mailoutbox, other_client):
    invite()

    response = choose_password(other_client, link_in(mailoutbox[0]), "demo1234")

    assert response.context["form"].errors["new_password2"] == [TOO_SHORT]


def test_it_accepts_ten_characters_that_are_not_common(invite, mailoutbox, other_client):
    invite()

    response = choose_password(other_client, link_in(mailoutbox[0]), "Lluvia2024")

    assert response.status_code == 302
    assert sign_in(other_client, MARIA, "Lluvia2024").status_code == 302


@pytest.mark.parametrize("weak", WEAK)
def test_it_refuses_a_weak_password_when_changing_it(alice_client, alice, weak):
    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_refuses_demo1234_in_the_admins_new_account_form(client, ivan, org_a):
    client.force_login(ivan)

    response = client.post("/admin/partners/user/add/", {
        "username": "rosa", "email": "rosa@hias.example", "password1": "demo1234",
        "password2": "demo1234", "organisation": org_a.pk, "role": Role.REPORTER,
        "usable_password": "true",
    })

    assert response.status_code == 200
    assert TOO_SHORT in response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(username="rosa").exists()


def test_it_refuses_demo1234_in_the_admins_password_form(client, ivan, alice):
    client.force_login(ivan)

    response = client.post(f"/admin/partners/user/{alice.pk}/password/", {
        "password1": "demo1234", "password2": "demo1234", "usable_password": "true",
    })

    assert response.status_code == 200
    assert TOO_SHORT in response.context["form"].errors["password2"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_rejects_get_on_logout(alice_client):
    response = alice_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert is_signed_in(alice_client)


def test_it_signs_out_on_post(alice_client):
    session_key = alice_client.session.session_key

    response = alice_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert alice_client.session.session_key != session_key
    response = alice_client.get("/reports/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/reports/"



@pytest.mark.parametrize(("language", "names"), [
    ("es", ["Intentos de acceso", "Fallos de acceso", "Registros de acceso"]),
    ("en", ["Access attempts", "Access failures", "Access logs"]),
])
def test_the_admin_names_the_login_records_in_the_readers_language(ivan, language, names):
    # django-axes ships no Spanish; our catalogue gives its models their Spanish names.
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    client.force_login(ivan)
    page = client.get("/admin/").content.decode()
    for name in names:
        assert name in page, (language, name)
