from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from partners import views as partner_views
from partners.forms import SignInForm

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm),
         name="login"),
    path("accounts/password_reset/", partner_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", partner_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("reporting.api.urls")),
    path("", include("partners.urls")),
    path("", include("reporting.urls")),
]
