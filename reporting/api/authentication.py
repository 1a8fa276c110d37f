"""`Authorization: Token <key>`: the only way a key reaches the API."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from partners.models import ApiToken
from partners.tokens import live_token_for_key

# Query parameters a client might put a key in; each is refused, never read, because a URL ends
# up in proxy logs, browser history and Power BI's saved queries.
KEY_PARAMETERS = ("token", "key", "api_key", "apikey", "access_token", "auth")
TOKEN_IN_URL = _("Send the API token in the Authorization header (“Authorization: Token "
                 "<key>”), never in the URL: this key is now in logs, so revoke it and create "
                 "another on your account page.")
MALFORMED = _("Malformed Authorization header: write “Token <key>” with one space.")
INVALID = _("Invalid, revoked or deactivated API token.")
# last_used_at is written at most this often, so that a Power BI refresh paging through a
# month is not one write per page.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Token <key>` against the stored hashes, on every request,
    so that a revoked token or a deactivated account is refused at once."""

    keyword = "Token"

    def authenticate(self, request):
        if any(name in request.query_params for name in KEY_PARAMETERS):
            raise exceptions.AuthenticationFailed(TOKEN_IN_URL)
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED)
        try:
            key = header[1].decode("ascii")
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(MALFORMED) from error
        token = live_token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenScheme(OpenApiAuthenticationExtension):
    """Describe the token header in the OpenAPI schema."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <key>`, the key from your account page."}
