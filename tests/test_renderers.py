"""The form renderer writes the input, textarea and select widgets in Python: the HTML must be
exactly what Django's own templates write, for every kind of value, and a template that an
app overrides must still be used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from gtrm.renderers import FastWidgetRenderer
from partners.models import Organisation
from reporting.forms import ActivityLineForm
from reporting.models import ActivityLine

from .factories import LineFactory
from .test_line_rules import form_data

TRICKY = 'O\'Brien & "Sons" <b>'

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"class": "form-control", "placeholder": TRICKY, "required": True,
                           "disabled": False, "maxlength": 10, "data-x": gettext_lazy("Other")}),
    forms.NumberInput(attrs={"min": 0, "step": "0.01", "inputmode": "numeric"}),
    forms.EmailInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.URLInput(),
    forms.DateInput(),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.CheckboxInput(),
    forms.FileInput(),
    forms.Textarea(attrs={"rows": 2}),
    forms.Select(choices=[("", "---------"), ("a", TRICKY), (3, gettext_lazy("Other")),
                          ("safe", mark_safe("<i>safe</i>")), (Decimal("1.5"), 1500)]),
    forms.Select(choices=[("Andes", [("15", "Lima"), ("04", "Arequipa")]),
                          ("Costa", [("20", "Piura")]), ("x", "sin grupo")],
                 attrs={"class": "form-select", "data-children": "province"}),
    forms.SelectMultiple(choices=[(1, "uno"), (2, "dos"), (3, TRICKY)]),
    forms.NullBooleanSelect(),
]

VALUES = [None, "", "texto", TRICKY, 0, 1540, Decimal("1234.50"), date(2026, 11, 27), True, False,
          ["a", 3], ["2", "3"], "15", "a", 3, gettext_lazy("Other")]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_each_widget_renders_as_djangos_templates_do(widget, language):
    django_renderer, ours = DjangoTemplates(), FastWidgetRenderer()
    compared = 0
    with override(language):
        for value in VALUES:
            for attrs in (None, {"id": "id_field", "aria-describedby": "help"}):
                try:
                    expected = widget.render("field", value, attrs, renderer=django_renderer)
                except TypeError:  # a list for NullBooleanSelect: Django cannot render it either
                    continue
                assert widget.render("field", value, attrs, renderer=ours) == expected, value
                compared += 1
    assert compared >= 2 * (len(VALUES) - 2)


def test_the_platform_uses_it():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_line_form_is_the_same_page(report, language, org_b):
    """The whole line form through crispy-forms: empty, bound with errors, and editing."""
    line = LineFactory(report=report, implementing_partner=org_b, cash_usd=None,
                       description=TRICKY)
    cases = [
        lambda: ActivityLineForm(instance=ActivityLine(report=report), report=report),
        lambda: ActivityLineForm(form_data(girls="x", department="15", province="1501"),
                                 instance=ActivityLine(report=report), report=report),
        lambda: ActivityLineForm(instance=line, report=report),
    ]
    with override(language):
        for make in cases:
            form_a, form_b = make(), make()
            form_a.renderer, form_b.renderer = DjangoTemplates(), FastWidgetRenderer()
            form_a.is_bound and form_a.is_valid()
            form_b.is_bound and form_b.is_valid()
            expected = render_crispy_form(form_a)
            assert "<option" in expected and Organisation.objects.get(pk=org_b.pk).name in expected
            assert render_crispy_form(form_b) == expected


def test_an_overridden_template_is_still_used():
    """Where the select (or what it includes) is not Django's own file, the engine renders it."""
    renderer = FastWidgetRenderer()
    widget = forms.Select(choices=[("a", "A")])
    with mock.patch.object(DjangoTemplates, "render", return_value="from the template") as render:
        assert widget.render("f", "a", renderer=renderer) != "from the template"
        render.assert_not_called()
        renderer._ours["django/forms/widgets/select_option.html"] = False
        assert widget.render("f", "a", renderer=renderer) == "from the template"


def test_an_option_with_a_template_of_its_own_falls_back():
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Fancy(choices=[("a", "A")])
    assert widget.render("f", "a", renderer=FastWidgetRenderer()) == widget.render(
        "f", "a", renderer=DjangoTemplates())
