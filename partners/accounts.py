"""What a typed name means: the one rule that turns what someone typed on the sign-in or the
password-reset page into an account, and the name their attempts are counted under."""

from __future__ import annotations

import string

from django.db.models import Q

from .models import User

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """Return `text` without surrounding spaces and with the letters A–Z in lower case; every
    other character is kept as it is."""
    return text.strip().translate(_ASCII_LOWER)


def find_account(typed: str) -> User | None:
    """Return the account whose username or email address is `typed`, or None.

    The rule: two names are the same when they are equal after `fold`, that is, ignoring
    surrounding spaces and the case of the letters A–Z only. `REPORTER.CARITAS` and
    `Reporter.Caritas@Example.ORG` are reporter.caritas; `reporter.carıtas` (dotless ı),
    `reporter.caritaſ` (long s) or `REPORTER.CARİTAS` (dotted İ) are nobody.

    Why this rule: it is the one comparison that SQLite and PostgreSQL can make alike.
    PostgreSQL's case-insensitive lookup (UPPER) folds all of Unicode, so ı, ſ and the Kelvin
    sign each give a second spelling of a name that contains i, s or k, while SQLite's folds
    A–Z only: with the database deciding, a name locked out under one spelling could sign in
    under another on PostgreSQL. Here the database only fetches candidates (its
    case-insensitive match is wider than this rule on both) and Python decides. Email
    addresses are ASCII before the @, and usernames here are email addresses or plain ASCII
    names, so nobody loses a spelling they use. (The sign-in form applies NFKC first, as
    Django's forms do: ſ typed there arrives as s.)

    When the rule matches several accounts (a username that is another account's email, or
    `Ana` and `ana`), only the account whose username is exactly what was typed is meant.
    """
    name = fold(typed)
    if not name:
        return None
    matches = [
        user
        for user in User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name))
        if name in (fold(user.username), fold(user.email))
    ]
    if len(matches) > 1:
        matches = [user for user in matches if user.username == typed.strip()]
    return matches[0] if len(matches) == 1 else None


def account_key(typed: str) -> str:
    """Return the name that attempts with `typed` are counted under: the username of the
    account it resolves to (as listed in the admin, and as `axes_reset_username` takes it),
    or, when it resolves to none, the typed text folded."""
    user = find_account(typed)
    return user.username if user is not None else fold(typed)
