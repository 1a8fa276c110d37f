"""Forms of the admin's own pages: the reason asked for a review action, and the
coordinator's narrative form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reporting.models import (
    NarrativeKind,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("The partner reads this on the report."),
    )


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class CoordinatorNarrativeForm(forms.ModelForm):
    """A coordinator writes their sectors' highlights and nothing else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set before validation, so that the model's checks see highlights, not a blank kind.
        self.instance.kind = NarrativeKind.HIGHLIGHTS
