from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import reference, views

app_name = "api"

urlpatterns = [
    path("v1/", views.Root.as_view(), name="root"),
    path("v1/lines/", views.LineList.as_view(), name="lines"),
    path("v1/lines/deleted/", views.DeletedList.as_view(), name="lines-deleted"),
    path("v1/figures/", views.FigureMonths.as_view(), name="figure-months"),
    path("v1/figures/<str:month>/", views.MonthFigures.as_view(), name="figures"),
    path("v1/regional-5w/", views.RegionalFiveW.as_view(), name="regional-5w"),
    path("v1/sectors/", views.SectorList.as_view(), name="sectors"),
    path("v1/indicators/", views.IndicatorList.as_view(), name="indicators"),
    path("v1/organisations/", views.OrganisationList.as_view(), name="organisations"),
    path("v1/locations/", views.LocationList.as_view(), name="locations"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", reference.reference, name="docs"),
]
