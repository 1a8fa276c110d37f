"""Client addresses and the lock-out page of the login throttle (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


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
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials) -> str:
    """Count failures per person, not per spelling: `Maria@X.org` and `maria@x.org` are one."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
