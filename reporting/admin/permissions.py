"""Who may do what on an admin page, as mixins of ModelAdmin."""

from __future__ import annotations


class ReadOnly:
    """A log: nobody adds, edits or deletes its rows in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ImOnly:
    """Open the model to IM officers only; coordinators do not even see it in the index."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_im_officer

    def has_add_permission(self, request):
        return request.user.is_im_officer

    def has_change_permission(self, request, obj=None):
        return request.user.is_im_officer

    def has_delete_permission(self, request, obj=None):
        return request.user.is_im_officer
