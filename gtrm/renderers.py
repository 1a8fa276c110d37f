"""The form renderer of the platform (`FORM_RENDERER`): Django's, with its commonest widget
templates written in Python.

Django renders every form widget through a template, and a `<select>` through one more
template per option. The line form has seven selects, one of them the ~110 partner
organisations, so most of its CPU went into rendering `<option>` templates. The functions
below write exactly what Django's own templates write (`tests/test_renderers.py` compares
them), for the input, textarea and select widgets. Any other template, and any of these that
an app or the project overrides, is rendered by the template engine as before.

Why not the simpler override of `select.html` with the options written inline (no include per
option)? Measured for issue 12 (the line form page, median process CPU of 300 requests, three
alternating rounds on the 2-core machine): this renderer 44–54 ms, the inline template 56–69 ms,
Django's own templates 60–76 ms. The template engine's loop over 110 options costs about as
much as the includes it saves; this renderer saves a fifth of the page.
"""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"
_DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"


def _variable(value) -> str:
    """`{{ value }}` in a template: localised, then escaped unless already safe."""
    return conditional_escape(localize(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {_variable(name)}" if value is True else f' {_variable(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html, and the templates that only include it."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return (f'<input type="{_variable(widget["type"])}" name="{_variable(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>')


def _textarea(widget: dict) -> str:
    """django/forms/widgets/textarea.html"""
    value = widget["value"]
    return (f'<textarea name="{_variable(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{_variable(value) if value else ""}</textarea>')


def _option(option: dict) -> str:
    """django/forms/widgets/select_option.html"""
    return (f'<option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
            f'{_variable(option["label"])}</option>')


def _select(widget: dict) -> str | None:
    """django/forms/widgets/select.html (None when an option has a template of its own)."""
    parts = [f'<select name="{_variable(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_variable(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            # The option's template ends with a newline, which its include keeps.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


WRITERS = {
    **{
        f"{WIDGETS}{name}.html": _input
        for name in ("input", "text", "number", "email", "password", "hidden", "url", "date",
                     "datetime", "time", "search", "tel", "color", "checkbox", "file")
    },
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
    OPTION: _option,
}


# For each template written in Python, the templates whose output it reproduces: itself, the
# attributes it includes and, for some, one more include. All must be Django's own files.
INCLUDED = {
    name: (name, WIDGETS + "attrs.html",
           *{_input: (WIDGETS + "input.html",), _select: (OPTION,)}.get(write, ()))
    for name, write in WRITERS.items()
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's default form renderer, with the templates of `WRITERS` written in Python."""

    def __init__(self) -> None:
        super().__init__()
        self._ours: dict[str, bool] = {}

    def _is_djangos(self, template_name: str) -> bool:
        """Whether `template_name` resolves to Django's own file (not an override)."""
        known = self._ours.get(template_name)
        if known is None:
            origin = Path(self.get_template(template_name).origin.name)
            known = self._ours[template_name] = origin.is_relative_to(_DJANGO_TEMPLATES)
        return known

    def render(self, template_name, context, request=None):
        write = WRITERS.get(template_name)
        if write is not None and all(map(self._is_djangos, INCLUDED[template_name])):
            html = write(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)
