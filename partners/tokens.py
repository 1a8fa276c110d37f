"""API tokens: created with a key shown once, listed by prefix, revoked (DESIGN §7)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User, hash_api_key

NAME_REQUIRED = _("Give the token a name, e.g. “Power BI dashboard”.")
INACTIVE_ACCOUNT = _("A deactivated account cannot have API tokens.")


def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its key, which is never stored: show it once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    if not user.is_active:
        raise ValidationError(INACTIVE_ACCOUNT)
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):
        # A key (and so its prefix) never starts with "-": `api_token --revoke PREFIX` and
        # other command lines would read it as an option.
        key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_api_key(key), prefix=key[:ApiToken.PREFIX_LENGTH]
    )
    return token, key


def revoke_api_token(*, token: ApiToken) -> bool:
    """Revoke `token` for good; return False if it was already revoked."""
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True)
                .update(revoked_at=timezone.now()))


def live_token_for_key(key: str) -> ApiToken | None:
    """Return the live token whose key is `key` (its account active, not revoked), or None."""
    return (ApiToken.objects.live().select_related("user", "user__organisation")
            .filter(key_hash=hash_api_key(key)).first())
