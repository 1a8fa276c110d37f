from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.report_list, name="report-list"),
    path("reports/start/", views.report_start, name="report-start"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report-submit"),
    path("reports/<int:pk>/withdraw/", views.report_withdraw, name="report-withdraw"),
    path("reports/<int:pk>/nil/", views.report_nil, name="report-nil"),
    path("reports/<int:pk>/lines/add/", views.line_add, name="line-add"),
    path("reports/<int:pk>/lines/<int:line_pk>/", views.line_edit, name="line-edit"),
    path("reports/<int:pk>/lines/<int:line_pk>/delete/", views.line_delete, name="line-delete"),
    path("locations/", views.location_children, name="locations"),
]
