"""Client addresses, the name the login throttle (django-axes) counts failures under and its
lock-out page, the Content-Security-Policy header and the session idle timeout."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from partners.accounts import account_key


def client_ip(request) -> str | None:
    """Return the address the request came from.

    Behind TRUSTED_PROXY_COUNT proxies, the client is the address the outermost trusted proxy
    appended to X-Forwarded-For; anything further left was written by the client and is not
    trusted. Without proxies, it is REMOTE_ADDR.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(request, credentials=None, *args, **kwargs):
    """Tell the person they are locked out, for how long, and how to get in sooner."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"minutes": minutes, "whole_address": getattr(request, "address_locked_out", False)}
    return render(request, "registration/locked_out.html", context, status=429)


def axes_username(request, credentials) -> str:
    """Count failures per account, not per spelling: `REPORTER.CARITAS`, its email address in
    any case and `reporter.caritas` are one (partners.accounts.account_key). A name that is no
    account is counted under its folded text."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    # Axes asks several times per attempt; each answer costs a query.
    known = request.__dict__.setdefault("_account_keys", {})
    if typed not in known:
        known[typed] = account_key(typed)
    return known[typed]


# Content-Security-Policy --------------------------------------------------------------------
# Django 5.2 has no CSP of its own (6.0 adds one). Our policy is one fixed header: every script
# is a static file, so there is no nonce to mint per request, and twenty lines here cost less
# than a dependency (django-csp) whose settings format has already changed once. SECURE_CSP has
# the shape of Django 6.0's setting so that its middleware can replace this one unchanged.


def csp_header(policy: dict[str, list[str]]) -> str:
    """Return the header value of a policy written as {directive: [source, ...]}."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send the SECURE_CSP policy with every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = csp_header(settings.SECURE_CSP) if settings.SECURE_CSP else ""

    def __call__(self, request):
        response = self.get_response(request)
        if not self.header or "Content-Security-Policy" in response:
            return response
        if settings.DEBUG and response.status_code >= 500:
            return response  # Django's debug error page works with inline scripts
        response["Content-Security-Policy"] = self.header
        return response


# Session idle timeout -----------------------------------------------------------------------

SESSION_REFRESHED_AT = "gtrm_refreshed_at"


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """Note when a session starts, in the write that signing in makes anyway (user_logged_in)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_REFRESHED_AT] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """End a signed-in session SESSION_COOKIE_AGE seconds after its last request.

    Django sets a session's end when the session is saved, and saving on every request
    (SESSION_SAVE_EVERY_REQUEST) would write a row per page view. Instead the session is saved
    again only when more than half of its life has gone since it was last saved: one write per
    half timeout per active person, and nobody is signed out while working. Someone who stops
    is signed out between half the timeout and the whole of it after their last request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)  # after the view: signing in or out changed it
        # An API token signs in a request, not a session: no session row is made for it.
        if (session is not None and user is not None and user.is_authenticated
                and SESSION_KEY in session):
            now = int(time.time())
            refreshed_at = session.get(SESSION_REFRESHED_AT)
            stale = not isinstance(refreshed_at, int) or (
                now - refreshed_at >= session.get_expiry_age() / 2
            )
            if stale or session.modified:
                # SessionMiddleware, outside this one, saves the session with a new end date.
                session[SESSION_REFRESHED_AT] = now
        return response


# NUL bytes in the address -------------------------------------------------------------------

NUL_IN_ADDRESS = gettext_lazy("The address holds a NUL character (U+0000), which no page of this "
                              "site accepts. Remove it and try again.")


class RejectNulBytesMiddleware:
    """Answer 400 to a request whose path or query string holds a NUL byte.

    PostgreSQL cannot store the character U+0000 in text, so a filter, search or id holding one
    makes the query fail with DataError: a server error, and an email to ADMINS, for a value
    that can never be valid here. Refusing it here covers every filter of every page and of
    the admin, third-party ones included, on both databases. The body is left alone: reading
    it here would come before the upload view's size cap, and forms refuse NUL themselves
    (Django's ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                str(NUL_IN_ADDRESS), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
