from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("account/notifications/", views.notifications, name="notifications"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/deactivate/", views.member_active, {"active": False},
         name="member-deactivate"),
    path("team/<int:pk>/reactivate/", views.member_active, {"active": True},
         name="member-reactivate"),
    path("team/<int:pk>/resend/", views.member_resend, name="member-resend"),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
]
