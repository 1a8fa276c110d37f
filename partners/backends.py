"""Sign in with the username or the email address, whatever its capitals."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class UsernameOrEmailBackend(ModelBackend):
    """Accept `maria.quispe@example.org`, `Maria.Quispe@Example.org` or `reporter.hias`."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        username = username.strip()
        candidates = list(
            User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username))[:2]
        )
        # An email shared by two accounts identifies neither; the exact username still does.
        if len(candidates) != 1:
            candidates = [user for user in candidates if user.username == username]
        if len(candidates) != 1:
            # Run the hasher anyway, so that timing does not tell which names exist.
            User().set_password(password)
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
