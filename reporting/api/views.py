"""The API's resources: short views that ask the query layer what the caller may see."""

from __future__ import annotations

from django.db import connections
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.models import Organisation
from reporting.models import (
    ActivityLine,
    Indicator,
    LineChange,
    Location,
    LocationLevel,
    MonthlyReport,
    Sector,
    SitrepEdition,
    parse_month,
)
from reporting.numbers import sitrep
from reporting.regional import columns as regional_columns
from reporting.regional import export as regional

from . import pg_csv, rows, serializers
from .filters import DeletedFilter, LineFilter
from .renderers import CsvLines, CSVRenderer

NO_EDITION = _("No situation report of %(month)s has been published.")
TABLE_RENDERERS = [JSONRenderer, CSVRenderer, BrowsableAPIRenderer]


class LinePagination(LimitOffsetPagination):
    """`limit` (default 1,000, at most 10,000) and `offset`; the answer's `count`, `next` and
    `previous` say where the rest is, and so does a `Link` header for CSV readers."""

    default_limit = 1000
    max_limit = 10_000

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        links = [f'<{url}>; rel="{rel}"' for rel, url in
                 (("next", self.get_next_link()), ("previous", self.get_previous_link())) if url]
        if links:
            response["Link"] = ", ".join(links)
        response["X-Total-Count"] = str(self.count)
        return response


def _visible_reports(request) -> MonthlyReport:
    return MonthlyReport.objects.visible_to(request.user)


class LineList(generics.ListAPIView):
    """Activity lines the token's user may see, as on the pages: a partner its organisation's,
    a coordinator the submitted and reviewed reports of their sectors, the IM team all."""

    serializer_class = serializers.LineSerializer
    filterset_class = LineFilter
    pagination_class = LinePagination
    renderer_classes = TABLE_RENDERERS
    csv_header = rows.LINE_COLUMNS

    def get_queryset(self):
        return (
            # `changed_at` is annotated by the updated_since filter and on the page's rows only:
            # on every query it would join the reports to each of a million lines to count
            # them and to skip `offset` of them.
            ActivityLine.objects.visible_to(self.request.user).order_by("pk")
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        # The page's ids first, then their rows: the database skips `offset` index entries
        # instead of joining the nine tables of a row for every line it skips.
        ids = self.paginate_queryset(queryset.values_list("pk", flat=True))
        if not ids:
            return self.get_paginated_response([])
        # The page is every line of the same filtered, pk-ordered queryset from its first id to
        # its last: a range on the primary key, not ten thousand ids sent back as parameters.
        page = queryset.filter(pk__gte=ids[0], pk__lte=ids[-1])
        if "changed_at" not in page.query.annotations:
            page = page.with_changed_at()
        as_csv = getattr(request.accepted_renderer, "format", None) == "csv"
        if as_csv and connections[page.db].vendor == "postgresql":
            # Each line's CSV text written by the database (pg_csv): the page's Python work
            # is a join of 10,000 strings.
            return self.get_paginated_response(CsvLines(
                page.annotate(csv_line=pg_csv.csv_line()).values_list("csv_line", flat=True)))
        if as_csv:
            # Rows as lists in the CSV's column order (CSVRenderer writes them as they are):
            # no dict per line, a third of a page's time at 10,000 lines.
            cells = [rows.line_cells(values) for values in page.values_list(*rows.LINE_VALUES)]
            return self.get_paginated_response(cells)
        return self.get_paginated_response([rows.line_row(values)
                                            for values in page.values_list(*rows.LINE_VALUES)])


class DeletedList(generics.ListAPIView):
    """What an incremental refresh must drop since `since`: deleted lines, and reports whose
    lines an upload replaced (their new lines come with lines/?updated_since=)."""

    serializer_class = serializers.DeletedSerializer
    filterset_class = DeletedFilter
    pagination_class = LinePagination
    renderer_classes = TABLE_RENDERERS
    csv_header = ["kind", "id", "at"]

    def get_queryset(self):
        return (
            LineChange.objects.filter(report__in=_visible_reports(self.request),
                                      action__in=[LineChange.Action.DELETE,
                                                  LineChange.Action.IMPORT])
            .order_by("at", "pk")
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values("action", "line_id", "report_id", "at"))
        return self.get_paginated_response([rows.deleted_row(values) for values in page])


class ReferenceList(generics.ListAPIView):
    """A reference list, whole (they are short), for any signed-in user or token."""

    pagination_class = None
    renderer_classes = TABLE_RENDERERS
    fields: dict[str, str] = {}

    @property
    def csv_header(self) -> list[str]:
        return list(self.fields)

    def list(self, request, *args, **kwargs):
        values = self.get_queryset().values(*self.fields.values())
        return Response([{name: row[source] for name, source in self.fields.items()}
                         for row in values])


class SectorList(ReferenceList):
    serializer_class = serializers.SectorSerializer
    queryset = Sector.objects.order_by("order", "code")
    fields = {"code": "code", "name_es": "name_es", "name_en": "name_en",
              "parent": "parent__code", "regional_name": "regional_name", "active": "active"}


class IndicatorList(ReferenceList):
    serializer_class = serializers.IndicatorSerializer
    queryset = Indicator.objects.order_by("plan__first_month", "sector__order", "code")
    fields = {"plan": "plan__code", "code": "code", "name_es": "name_es", "name_en": "name_en",
              "sector": "sector__code", "type": "type", "unit": "unit", "active": "active",
              "successor_plan": "successor__plan__code", "successor": "successor__code"}


class OrganisationList(ReferenceList):
    serializer_class = serializers.OrganisationSerializer
    queryset = Organisation.objects.order_by("acronym")
    fields = {"acronym": "acronym", "name": "name", "short_name": "short_name", "type": "type",
              "is_partner": "is_partner", "active": "active"}


class LocationList(ReferenceList):
    serializer_class = serializers.LocationSerializer
    queryset = Location.objects.filter(
        level__in=[LocationLevel.DEPARTMENT, LocationLevel.PROVINCE]).order_by("code")
    fields = {"code": "code", "name": "name", "level": "level", "parent": "parent__code"}


class FigureMonths(APIView):
    """The months with a published situation report, open to everyone."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(responses=serializers.FigureMonthSerializer(many=True))
    def get(self, request):
        months: dict[str, dict] = {}
        editions = SitrepEdition.objects.order_by("-period__month", "-number").values(
            "period__month", "number", "published_at")
        for row in editions:
            code = row["period__month"].strftime("%Y-%m")
            months.setdefault(code, {
                "month": code, "edition": row["number"], "published_at": row["published_at"],
                "url": request.build_absolute_uri(reverse("api:figures", args=[code])),
            })
        return Response(list(months.values()))


class MonthFigures(APIView):
    """The latest published situation report of a month, in the `situation_report` JSON of
    DESIGN §5: approved data only, with disclosure control, as /sitreps/<month>/<n>/json/."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[
        OpenApiParameter("month", str, OpenApiParameter.PATH, description="YYYY-MM")])
    def get(self, request, month: str):
        first_day = parse_month(month)
        edition = (SitrepEdition.objects.select_related("period")
                   .filter(period__month=first_day).order_by("-number").first()
                   if first_day else None)
        if edition is None:
            raise Http404(NO_EDITION % {"month": month})
        return Response(sitrep.public_json(edition, get_language() or "es"))


class RegionalFiveW(generics.GenericAPIView):
    """The rows of the regional 5W (DESIGN §6) for `month` (YYYY-MM), or from `month` to
    `month_to`: approved lines only, R4V's 29 columns as keys, as /exports/regional-5w/ gives
    them. For IM officers, as that page is. Paged like `lines/`: a page costs a count and one
    grouped query whatever the table's size."""

    pagination_class = LinePagination
    renderer_classes = TABLE_RENDERERS
    csv_header = list(regional_columns.HEADER)

    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[
        OpenApiParameter("month", str, description="YYYY-MM, the first month", required=True),
        OpenApiParameter("month_to", str, description="YYYY-MM, the last month (default: month)"),
    ])
    def get(self, request):
        if not request.user.is_im_officer:
            raise PermissionDenied(_("The regional 5W is for IM officers."))
        first = parse_month(request.query_params.get("month", ""))
        last = parse_month(request.query_params.get("month_to", "")) \
            if request.query_params.get("month_to") else first
        if first is None or last is None:
            raise ValidationError({"month": _("Give the month as YYYY-MM (month, month_to).")})
        if last < first:
            raise ValidationError({"month_to": _("month_to comes before month.")})
        page = self.paginate_queryset(regional.grouped(regional.export_lines(first, last)))
        header = regional_columns.HEADER
        return self.get_paginated_response(
            [dict(zip(header, regional.to_row(data).cells, strict=True)) for data in page])


class Root(APIView):
    """The API's resources; send `Authorization: Token <key>` (README, "Connect from Power BI
    / Excel / R"). The OpenAPI schema is at /api/schema/, laid out for people at /api/docs/."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(exclude=True)
    def get(self, request):
        names = ["lines", "lines-deleted", "figure-months", "regional-5w", "sectors",
                 "indicators", "organisations", "locations", "schema", "docs"]
        return Response({name: request.build_absolute_uri(reverse(f"api:{name}"))
                         for name in names})
