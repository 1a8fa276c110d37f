"""The layout of reporting/ (README, "Layout"): rooms of modules a reader finds by their names.

The import walls between the rooms are import-linter's contracts (pyproject.toml, `make lint`);
these tests keep the rest of what issue 12 asked: no module beyond 600 lines but the models, one
class name for one thing, and no module named like a Django module that it is not."""

from __future__ import annotations

import ast
import pkgutil
from collections import defaultdict
from pathlib import Path

import django
import django.contrib

import reporting

ROOT = Path(reporting.__file__).parent
MAX_LINES = 600


def modules() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py") if "migrations" not in path.parts)


def name(path: Path) -> str:
    return path.relative_to(ROOT.parent).as_posix()


def test_no_module_is_longer_than_600_lines_but_the_models():
    long = {name(path): length for path in modules()
            if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}

    assert long == {"reporting/models.py": long.get("reporting/models.py")}


def test_one_class_name_means_one_thing_in_the_app():
    """Module-level classes only; Django asks every management command to be a `Command`."""
    defined = defaultdict(list)
    for path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not (
                    "commands" in path.parts and node.name == "Command"):
                defined[node.name].append(name(path))

    assert {cls: where for cls, where in defined.items() if len(where) > 1} == {}


def test_no_module_is_named_like_a_django_module_it_is_not():
    """Django's own names for an app's parts (admin, apps, forms, models, templatetags, urls,
    views) mean those parts here too; any other name of a Django package or contrib app (the
    user-facing texts were once `messages.py`) would be read as Django's."""
    conventions = {"admin", "apps", "forms", "models", "templatetags", "urls", "views"}
    djangos = {module.name for package in (django, django.contrib)
               for module in pkgutil.iter_modules(package.__path__)} - conventions
    clashes = [name(path) for path in modules()
               if (path.stem if path.stem != "__init__" else path.parent.name) in djangos]

    assert clashes == []
