"""The admin of the reporting app: Django imports this package and each module registers its
models."""

from . import review  # noqa: F401
