"""Every request with a token is throttled per user, at settings.API_THROTTLE_RATE."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle

from partners.models import ApiToken


class TokenRateThrottle(UserRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        # Sessions are people at a browser, already limited by sign-in; the public reads
        # frozen editions. Scripts come with tokens.
        if not isinstance(request.auth, ApiToken):
            return True
        return super().allow_request(request, view)
