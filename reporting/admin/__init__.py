"""The admin of the reporting app, one module per kind of page (as django.contrib.admin is laid
out): Django imports this package, and importing each module registers its models."""

from . import histories, reference, review, sitrep  # noqa: F401
