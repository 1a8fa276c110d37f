"""How the admin's review actions run: a reason asked when the transition needs one, each
selected object tried in turn, and one message per outcome."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from reporting import workflow

from .forms import ReasonForm


def run_transition(modeladmin, request, queryset, perform, done_message) -> None:
    """Apply `perform(report)` to each selected report and tell the user what happened."""
    done, failed = 0, []
    gone = getattr(modeladmin, "withdrawn_meanwhile", None)
    if gone is not None:
        # Selected reports withdrawn since the page was shown are no longer in the queryset;
        # the workflow refuses them with a message that says so, instead of saying nothing.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        queryset = [*queryset, *gone(request, selected)]
    for obj in queryset:
        try:
            perform(obj)
            done += 1
        except workflow.WorkflowError as error:
            failed.append(f"{obj}: {error}")
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)
    for failure in failed:
        modeladmin.message_user(request, failure, messages.ERROR)


def ask_reason(
    modeladmin, request, queryset, *, action: str, title, button, perform, done,
    form_class: type[forms.Form] = ReasonForm, extra_context: dict | None = None,
):
    """Show a page asking for a reason, then apply `perform(obj, reason)` to the selection."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        run_transition(modeladmin, request, queryset, lambda obj: perform(obj, reason), done)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "button": button,
        "objects": queryset,
        "form": form,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        **(extra_context or {}),
    }
    return TemplateResponse(request, "admin/reason_form.html", context)
