"""Names in the order a Spanish reader expects: Áncash before Apurímac, Cáritas before Cruz Roja,
ñ after n, whatever the accents and the case.

Ordered in the database, with one collation name on both databases: on PostgreSQL it is the ICU
collation "es-x-icu" (PostgreSQL built with ICU, as the Debian and official packages are); on
SQLite a collation of that name is registered on every connection, comparing `spanish_key`s.
`spanish("name")` is an expression for `order_by()` and `Meta.ordering`.
"""

from __future__ import annotations

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models.functions import Collate

SPANISH = "es-x-icu"


def spanish_key(name: str) -> tuple[str, str]:
    """Return a key that sorts names as a Spanish reader expects: accents and case ignored,
    ñ after n. Ties are broken as ICU breaks them, so that both databases agree: without an
    accent before with one, then lower case before upper case ("alfa" before "Alfa")."""
    letters = []
    for char in (name or "").casefold():
        if char == "ñ":
            letters.append("n~")  # "~" sorts after every letter: ñ follows nz
            continue
        letters.append("".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        ))
    return "".join(letters), (name or "").swapcase()


def spanish(field: str) -> Collate:
    """Return `field` (a name, or a path such as "organisation__short_name") in Spanish order."""
    return Collate(field, SPANISH)


def _compare(first: str, second: str) -> int:
    a, b = spanish_key(first), spanish_key(second)
    return (a > b) - (a < b)


def register_on_sqlite(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the collation PostgreSQL has built in."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SPANISH, _compare)


connection_created.connect(register_on_sqlite, dispatch_uid="gtrm.collation.sqlite")
