"""Figures in the admin as the rest of the platform writes them: grouped by thousands in the
page's language (25,290; gtrm/formats/es/). Django's admin prints a number field without
grouping unless USE_THOUSAND_SEPARATOR is on, and turning it on site-wide would also group the
numbers that templates put in URLs and ids."""

from __future__ import annotations

from django.contrib import admin
from django.utils.formats import number_format
from django.utils.text import capfirst

from reporting.models import ActivityLine

EMPTY = "—"


def grouped(value, *, decimals: int | None = None) -> str:
    """Return `value` grouped by thousands in the active language; "—" for no value."""
    if value is None or value == "":
        return EMPTY
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def line_figure(name: str, *, decimals: int | None = None, ordering: bool = False):
    """Return an admin column (or read-only field) showing an activity line's figure `name`,
    headed by the field's own name, grouped by thousands."""

    def show(self, obj) -> str:
        return grouped(getattr(obj, name), decimals=decimals)

    show.__name__ = f"{name}_grouped"
    return admin.display(description=capfirst(ActivityLine._meta.get_field(name).verbose_name),
                         ordering=name if ordering else None)(show)
