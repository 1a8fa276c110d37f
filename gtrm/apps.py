from django.contrib.admin.apps import AdminConfig


class GtrmAdminConfig(AdminConfig):
    """Install the project's admin site, which only coordinators and IM officers may enter."""

    default_site = "gtrm.admin.GtrmAdminSite"
