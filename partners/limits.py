"""How often one account and one client address may try: the login throttle's limit per address
(an Axes handler) and the password-reset request limits, all counted in the database so that
they hold across app servers."""

from __future__ import annotations

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum, Value
from django.db.models.functions import Least
from django.utils import timezone

from .accounts import account_key
from .models import PasswordResetRequest


def is_exempt_from_address_limits(address: str | None) -> bool:
    """Return whether `address` is in ADDRESS_LIMIT_EXEMPT (a training room behind one NAT)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.ADDRESS_LIMIT_EXEMPT)


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler with a second limit: LOGIN_ADDRESS_FAILURE_LIMIT failed sign-ins
    from one address, across names, refuse every sign-in from it (the right password too)
    until fewer of its failures are younger than the cool-off. Each name counts up to
    AXES_FAILURE_LIMIT of them, the point where it is locked out on its own.

    The per-account limit alone let one address try a password on every account (spraying).
    The count is the sum of Axes' own rows for the address, so it is one count for every app
    server, IM officers see it in the admin, `axes_reset_ip` lifts it, and a successful sign-in,
    which deletes only that account's rows, leaves the failures against the others counted.
    """

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.is_address_locked(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or self.is_whitelisted(request, credentials):
            return
        if self.is_address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def is_address_locked(self, request) -> bool:
        address = request.axes_ip_address
        if not address or is_exempt_from_address_limits(address):
            return False
        # Each name counts up to its own limit: someone who keeps trying their locked-out
        # account is refused by that lock already, and must not lock their whole office out.
        per_name = Least("failures_since_start", Value(settings.AXES_FAILURE_LIMIT))
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum(per_name))["total"] or 0
        locked = failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        if locked:
            request.address_locked_out = True  # the lock-out page says so
        return locked


def record_password_reset_request(*, typed: str, address: str | None) -> bool:
    """Record a request of the password-reset page and return whether it is within the limits:
    PASSWORD_RESET_LIMIT per account (or typed address that is none) and
    PASSWORD_RESET_ADDRESS_LIMIT per client address, younger than the cool-off.

    A refused request is not kept, so a client that keeps asking adds no rows. The request is
    written before the count: of two servers racing for the last place, at least the later one
    counts both and refuses, where counting first would let both through.
    """
    now = timezone.now()
    since = now - settings.AXES_COOLOFF_TIME
    PasswordResetRequest.objects.filter(requested_at__lt=since).delete()
    request = PasswordResetRequest.objects.create(
        key=account_key(typed), ip_address=address, requested_at=now
    )
    recent = PasswordResetRequest.objects.filter(requested_at__gte=since)
    within = recent.filter(key=request.key).count() <= settings.PASSWORD_RESET_LIMIT
    if within and address and not is_exempt_from_address_limits(address):
        within = recent.filter(ip_address=address).count() <= settings.PASSWORD_RESET_ADDRESS_LIMIT
    if not within:
        request.delete()
    return within
