from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("invite", _("Send invitation")))


class SignInForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username or email")


class NotificationPreferencesForm(forms.Form):
    """The e-mails a person receives: one box per kind their role may get, and the language."""

    language = forms.ChoiceField(
        label=_("Language of the e-mails"),
        choices=[],
        required=False,
    )

    def __init__(self, *args, user, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.kinds = list(kinds)
        self.fields["language"].choices = [("", _("The site's language (Spanish)")),
                                           *settings.LANGUAGES]
        self.fields["language"].initial = user.language
        off = set(user.notifications_off or [])
        for kind in self.kinds:
            self.fields[f"kind_{kind.value}"] = forms.BooleanField(
                label=kind.label, required=False, initial=kind.value not in off,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    def save(self) -> None:
        off = set(self.user.notifications_off or []) - {kind.value for kind in self.kinds}
        off |= {kind.value for kind in self.kinds if not self.cleaned_data[f"kind_{kind.value}"]}
        self.user.notifications_off = sorted(off)
        self.user.language = self.cleaned_data["language"]
        self.user.save(update_fields=["notifications_off", "language"])
