"""The admin site: where coordinators review and IM officers manage reference data."""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import AdminReadonlyField
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

# The request being answered, for the admin's read-only links (set by AdminRequestMiddleware):
# Django draws them while the template renders, with no request at hand.
_current_request: ContextVar = ContextVar("gtrm_admin_request", default=None)


class AdminRequestMiddleware:
    """Keep the request at hand while its response (a template, rendered lazily) is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


_django_admin_url = AdminReadonlyField.get_admin_url


def admin_url_if_permitted(field: AdminReadonlyField, remote_field, remote_obj):
    """Link a read-only related object (an organisation, a period, who submitted) only when the
    viewer may open its admin page; otherwise show its name. Django links it whenever the page
    exists, and a coordinator following the link was answered 403 (issue 14 point 2)."""
    request = _current_request.get()
    model_admin = field.model_admin.admin_site._registry.get(remote_field.model) if (
        field.model_admin is not None) else None
    if request is None or model_admin is None:
        return str(remote_obj)
    # One check per object and page: a review page lists many events by the same few people.
    known = request.__dict__.setdefault("_gtrm_admin_links", {})
    key = (remote_field.model, remote_obj.pk)
    if key not in known:
        known[key] = (model_admin.has_view_or_change_permission(request, remote_obj)
                      and model_admin.get_queryset(request).filter(pk=remote_obj.pk).exists())
    if not known[key]:
        return str(remote_obj)
    return _django_admin_url(field, remote_field, remote_obj)


class GtrmAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the username and password of a coordinator or IM officer account."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        if not user.may_use_admin:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class NotFoundForOthers:
    """Answer 404, not a redirect, for an object outside the user's queryset, so that the admin
    says no more about another sector's data than a made-up id would. Mixed into every
    ModelAdmin of the project."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


class CheckedChangeList(ChangeList):
    """Django's changelist, reading an impossible date of the date hierarchy as a bad filter."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            # Django builds the hierarchy's range with datetime() and catches only some of what
            # that raises: a year of forty digits (OverflowError), or 9999, whose next year
            # does not exist (ValueError), were server errors. Now, like any other bad filter,
            # they lead to the list without filters and its "?e=1" notice.
            raise IncorrectLookupParameters(error) from error


class CheckedDates:
    """Mixed into every ModelAdmin of the site by GtrmAdminSite.register."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList


class GtrmAdminSite(admin.AdminSite):
    site_header = _("GTRM Peru · review and administration")
    site_title = _("GTRM Peru admin")
    index_title = _("Review and administration")
    login_form = GtrmAdminAuthenticationForm
    # The review queue needs the width more than the model list does.
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.may_use_admin

    def register(self, model_or_iterable, admin_class=None, **options):
        # Here rather than in our ModelAdmins, so that third-party ones (django-axes') list
        # through CheckedChangeList too.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedDates):
            admin_class = type(admin_class.__name__, (CheckedDates, admin_class), {
                "__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__,
            })
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and not self.has_permission(request):
            raise Http404
        return super().login(request, extra_context)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            # A signed-in partner gets the same 404 for every admin page, so the admin neither
            # offers them a login form nor tells which reports exist.
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        for attr in ("csrf_exempt", "login_required"):
            if hasattr(inner, attr):
                setattr(guarded, attr, getattr(inner, attr))
        return guarded
