from django.db.models import Count, Prefetch
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from governance.api.pagination import LargeCollectionPagination
from governance.api.parsers import BoundedJSONParser
from governance.api.viewsets import ScopedModelViewSet, ScopedReadCreateViewSet, ScopedViewSetMixin
from governance.models import OrgUnit, Role
from kpis.api import serializers as s
from kpis.filtersets import KPIFilter, MeasurementFilter, TargetFilter
from kpis.models import KPI, Grain, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.services.definitions import kpi_delete, target_delete
from kpis.services.measurements import (
    BulkValidationError,
    MeasurementConflict,
    measurement_record,
    measurements_import_csv,
    measurements_record,
    parse_period,
)
from partners.models import Partnership

NOT_FOUND = OpenApiResponse(description="Not found or outside your scope.")
BULK_400 = OpenApiResponse(s.BulkErrorSerializer, description="Nothing written; one entry per invalid row (the "
                                                              "first 1,000; error_count counts them all).")
CONFLICT = OpenApiResponse(description="Someone else wrote the same new measurement at the same moment: send it "
                                       "again (it then corrects theirs).")


def _conflict() -> Response:
    return Response({"detail": "Someone else recorded this measurement at the same moment; send it again to "
                               "correct it."}, status=status.HTTP_409_CONFLICT)


class KPIViewSet(ScopedModelViewSet):
    """KPI definitions and their co-owners (functions and/or partnerships, with weights). Admins write."""

    model = KPI
    serializer_class = s.KPISerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = KPIFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "category"]

    def scoped_queryset(self, queryset):
        owners = KPIOwnership.objects.restrict(self.request.user, "view")
        return queryset.annotate(owner_count=Count("ownerships")).prefetch_related(
            Prefetch("ownerships", queryset=owners.select_related("function").order_by("pk"))
        ).order_by("category", "code")

    def perform_destroy(self, instance):
        kpi_delete(kpi=instance)


class TargetViewSet(ScopedModelViewSet):
    """Targets per KPI, org unit, optional partnership and month, with RAG thresholds. Admins write."""

    model = Target
    serializer_class = s.TargetSerializer
    filterset_class = TargetFilter
    ordering_fields = ["period"]

    def scoped_queryset(self, queryset):
        return queryset.select_related("kpi", "org_unit").order_by("kpi__code", "org_unit__code", "period", "pk")

    def perform_destroy(self, instance):
        target_delete(target=instance)


class MeasurementViewSet(ScopedReadCreateViewSet):
    """Actuals. POST one object or a JSON array (bulk, all or nothing). Posting an existing key
    (kpi, org unit, partnership, period) again corrects it; the previous value stays in history.
    Managers and leaders write for org units in their scope; partner users for their partnership."""

    model = Measurement
    serializer_class = s.MeasurementSerializer
    pagination_class = LargeCollectionPagination
    filterset_class = MeasurementFilter
    filter_backends = [DjangoFilterBackend]  # cursor pagination fixes the order (newest first)
    lookup_value_regex = r"\d+"
    write_roles = (Role.LEADER, Role.MANAGER, Role.PARTNER)
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    def scoped_queryset(self, queryset):
        return queryset.select_related("kpi", "org_unit", "entered_by")

    @extend_schema(request=s.MeasurementInputSerializer(many=True),
                   responses={201: s.MeasurementSerializer, 400: BULK_400, 404: NOT_FOUND, 409: CONFLICT},
                   description="One object → 201 with the measurement; an array → 201 with counts.")
    def create(self, request, *args, **kwargs):
        data, now = request.data, timezone.now()
        if isinstance(data, list):
            try:
                result = measurements_record(actor=request.user, rows=data, now=now)
            except BulkValidationError as exc:
                return Response(exc.payload(), status=status.HTTP_400_BAD_REQUEST)
            except MeasurementConflict:
                return _conflict()
            return Response({"created": result.created, "updated": result.updated}, status=status.HTTP_201_CREATED)
        if not hasattr(data, "get"):
            raise ValidationError({"non_field_errors": ["Send an object or an array of objects."]})
        row = data.dict() if hasattr(data, "dict") else dict(data)
        try:
            measurement = measurement_record(actor=request.user, data=row, now=now)
        except BulkValidationError:
            raise NotFound() from None
        except MeasurementConflict:
            return _conflict()
        return Response(s.MeasurementSerializer(measurement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.ImportSerializer},
                   responses={201: s.BulkResultSerializer, 400: BULK_400, 409: CONFLICT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request):
        """CSV import, all or nothing; error rows are the file's line numbers (header = 1)."""
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"errors": [{"row": 0, "field": "file", "message": "Attach the CSV as 'file'."}]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            result = measurements_import_csv(actor=request.user, upload=upload, now=timezone.now())
        except BulkValidationError as exc:
            return Response(exc.payload(), status=status.HTTP_400_BAD_REQUEST)
        except MeasurementConflict:
            return _conflict()
        return Response({"created": result.created, "updated": result.updated}, status=status.HTTP_201_CREATED)


SCORECARD_PARAMS = [
    OpenApiParameter("org_unit", OpenApiTypes.STR, required=True, description="Org unit code"),
    OpenApiParameter("period", OpenApiTypes.STR, description="YYYY-MM (default: the latest month with data)"),
    OpenApiParameter("grain", OpenApiTypes.STR, enum=["month", "quarter", "ytd"]),
    OpenApiParameter("partnership", OpenApiTypes.INT, description="Cells of one partnership (default: all)"),
]


@extend_schema(parameters=SCORECARD_PARAMS, responses={200: s.ScorecardCellSerializer(many=True), 404: NOT_FOUND})
class ScorecardViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rolled-up cells for one org unit (over its subtree), period and grain: actual, target,
    attainment, RAG and coverage per KPI. ``quarter`` = the quarter containing ``period``,
    ``ytd`` = January to ``period``."""

    model = ScorecardCell
    serializer_class = s.ScorecardCellSerializer
    filter_backends: list = []

    def get_queryset(self):
        params, user = self.request.query_params, self.request.user
        code = params.get("org_unit")
        if not code:
            raise ValidationError({"org_unit": ["Give an org unit code."]})
        unit = OrgUnit.objects.restrict(user, "view").filter(code=code).first()
        if unit is None:
            raise NotFound()
        grain = params.get("grain", Grain.MONTH)
        if grain not in Grain.values:
            raise ValidationError({"grain": ["Use month, quarter or ytd."]})
        pkey = 0
        if params.get("partnership"):
            try:
                pkey = int(params["partnership"])
            except ValueError:
                raise ValidationError({"partnership": ["A partnership id is a whole number."]}) from None
            if not Partnership.objects.restrict(user, "view").filter(pk=pkey).exists():
                raise NotFound()
        cells = ScorecardCell.objects.restrict(user, "view").filter(org_unit=unit, partnership_key=pkey)
        if params.get("period"):
            try:
                period = parse_period(params["period"])
            except ValueError as exc:
                raise ValidationError({"period": [str(exc)]}) from None
        else:
            # ORDER BY … LIMIT 1, not MAX(): with a leader's scope subquery PostgreSQL would not read MAX
            # from the index (a scan of every cell of the unit, ~150 ms at 1M measurements).
            period = (cells.filter(grain=Grain.MONTH, reporting__gt=0).order_by("-period")
                      .values_list("period", flat=True).first())
            if period is None:
                return cells.none()
        if grain == Grain.QUARTER:
            period = period.replace(month=(period.month - 1) // 3 * 3 + 1)
        return (cells.filter(grain=grain, period=period).select_related("kpi", "org_unit")
                .order_by("kpi__category", "kpi__code"))


class ObjectiveViewSet(ScopedModelViewSet):
    """Strategic objectives and the KPIs that measure them. Admins write."""

    model = StrategicObjective
    serializer_class = s.ObjectiveSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends: list = []

    def scoped_queryset(self, queryset):
        return queryset.prefetch_related(Prefetch("kpis", queryset=KPI.objects.restrict(self.request.user, "view")
                                                  .only("code")))
