from django.urls import path, register_converter

from reporting.numbers.views import completeness, dashboard, sitrep, trend
from reporting.sheets.views import exports, regional, template_workbook, uploads

from . import converters, views

register_converter(converters.MonthConverter, "month")

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
    # The numbers, for signed-in users.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/explain/", dashboard.explain, name="dashboard-explain"),
    path("dashboard/indicator/", trend.indicator_trend, name="dashboard-indicator"),
    path("completeness/", completeness.completeness, name="completeness"),
    path("situation-report/<month:month>/", sitrep.sitrep_draft, name="sitrep-draft"),
    path("situation-report/<month:month>/pdf/", sitrep.sitrep_draft_pdf,
         name="sitrep-draft-pdf"),
    path("situation-report/<month:month>/publish/", sitrep.sitrep_publish,
         name="sitrep-publish"),
    # The spreadsheet round trip (DESIGN §5 column contract, reporting/sheets/columns.py).
    path("imports/", uploads.upload, name="import-upload"),
    path("imports/template/", template_workbook.template, name="import-template"),
    path("imports/<int:pk>/", uploads.preview, name="import-preview"),
    path("imports/<int:pk>/confirm/", uploads.confirm, name="import-confirm"),
    path("imports/<int:pk>/submit/", uploads.submit_all, name="import-submit"),
    path("imports/<int:pk>/errors.xlsx", uploads.error_workbook, name="import-errors"),
    path("exports/", exports.index, name="export-index"),
    path("exports/regional-5w/", regional.regional_5w, name="export-regional-5w"),
    path("exports/lines.<str:fmt>", exports.lines, name="export-lines"),
    path("exports/<str:kind>.xlsx", exports.summary, name="export-summary"),
    # Published situation reports, open to everyone: frozen editions and nothing else.
    path("sitreps/", sitrep.public_list, name="public-sitreps"),
    path("sitreps/<month:month>/", sitrep.public_latest, name="public-sitrep-latest"),
    path("sitreps/<month:month>/<int:number>/", sitrep.public_edition,
         name="public-sitrep"),
    path("sitreps/<month:month>/<int:number>/pdf/", sitrep.public_edition_pdf,
         name="public-sitrep-pdf"),
    path("sitreps/<month:month>/<int:number>/json/", sitrep.public_edition_json,
         name="public-sitrep-json"),
]
