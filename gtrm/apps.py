from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.signals import user_logged_in


class GtrmAdminConfig(AdminConfig):
    """Install the project's admin site, which only coordinators and IM officers may enter."""

    default_site = "gtrm.admin.GtrmAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.admin.helpers import AdminReadonlyField

        from . import security
        from .admin import admin_url_if_permitted

        # Read-only related objects are linked only for viewers who may open them.
        AdminReadonlyField.get_admin_url = admin_url_if_permitted

        # The only app config of the gtrm package: it also starts each session's idle clock.
        user_logged_in.connect(security.start_idle_clock, dispatch_uid="gtrm-start-idle-clock")
