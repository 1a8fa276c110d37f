"""Sign in with the username or the email address, whatever the case of its letters A–Z."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .accounts import find_account
from .models import User


class UsernameOrEmailBackend(ModelBackend):
    """Accept `maria.quispe@example.org`, `Maria.Quispe@Example.org` or `reporter.hias`.

    Which account a typed name means is decided by partners.accounts.find_account, the rule
    the lock-out and the password reset use too, so that a name locked out under one spelling
    is locked out under every spelling that signs in.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Run the hasher anyway, so that timing does not tell which names exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
