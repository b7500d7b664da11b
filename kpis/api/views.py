from django.db.models import Count, Prefetch
from django.urls import reverse
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
from governance.api.params import period_param
from governance.api.parsers import BoundedJSONParser
from governance.api.viewsets import ScopedModelViewSet, ScopedReadCreateViewSet, ScopedViewSetMixin
from governance.models import OrgUnit, Role
from kpis.api import serializers as s
from kpis.files import check_shape, read_bytes
from kpis.filtersets import KPIFilter, MeasurementFilter, ObjectiveFilter, TargetFilter
from kpis.models import KPI, Grain, ImportJob, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.rows import BulkValidationError
from kpis.selectors import default_period
from kpis.selectors.windows import cell_period
from kpis.services.definitions import kpi_delete, target_delete
from kpis.services.imports import import_job_request
from kpis.services.measurements import (
    MeasurementConflict,
    PlausibilityWarning,
    measurement_record,
    measurements_import_csv,
    measurements_record,
)
from kpis.services.objectives import objective_delete
from partners.models import Partnership

NOT_FOUND = OpenApiResponse(description="Not found or outside your scope.")
BULK_400 = OpenApiResponse(s.BulkErrorSerializer, description="Nothing written; one entry per invalid row (the "
                                                              "first 1,000; error_count counts them all).")
CONFLICT = OpenApiResponse(description="Values far from their history (``warnings``: row, field, message; send "
                                       "again with confirm=true to record them), or someone else wrote the same "
                                       "new measurement at the same moment (send it again).")
ASYNC = OpenApiParameter("async", OpenApiTypes.BOOL, description="Import as a background job: 202 with the job "
                                                                 "(poll /api/v1/import-jobs/{id}/) once the file's "
                                                                 "shape is checked.")
CONFIRM = OpenApiParameter("confirm", OpenApiTypes.BOOL, description="Record values far from their series' history "
                                                                     "as they are (marked as confirmed outliers).")


def _confirmed(request, row: dict | None = None) -> bool:
    """``confirm=true`` in the query string (or, for one object, in the body): record values far
    from their history as they are."""
    given = request.query_params.get("confirm")
    if given is None and row is not None:
        given = row.pop("confirm", None)
    return str(given).lower() in ("true", "1", "yes", "on")


def _doubts(exc: PlausibilityWarning) -> Response:
    return Response(exc.payload(), status=status.HTTP_409_CONFLICT)


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
                   parameters=[CONFIRM],
                   description="One object → 201 with the measurement; an array → 201 with counts.")
    def create(self, request, *args, **kwargs):
        data, now = request.data, timezone.now()
        if isinstance(data, list):
            try:
                result = measurements_record(actor=request.user, rows=data, now=now, confirm=_confirmed(request))
            except BulkValidationError as exc:
                return Response(exc.payload(), status=status.HTTP_400_BAD_REQUEST)
            except PlausibilityWarning as exc:
                return _doubts(exc)
            except MeasurementConflict:
                return _conflict()
            return Response({"created": result.created, "updated": result.updated}, status=status.HTTP_201_CREATED)
        if not hasattr(data, "get"):
            raise ValidationError({"non_field_errors": ["Send an object or an array of objects."]})
        row = data.dict() if hasattr(data, "dict") else dict(data)
        try:
            measurement = measurement_record(actor=request.user, data=row, now=now,
                                             confirm=_confirmed(request, row))
        except BulkValidationError:
            raise NotFound() from None
        except PlausibilityWarning as exc:
            return _doubts(exc)
        except MeasurementConflict:
            return _conflict()
        return Response(self.get_serializer(measurement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.ImportSerializer},
                   responses={201: s.BulkResultSerializer, 202: s.ImportJobSerializer, 400: BULK_400, 409: CONFLICT},
                   parameters=[CONFIRM, ASYNC])
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request):
        """CSV or XLSX import, all or nothing; error rows are the file's line numbers (header = 1). CSV:
        UTF-8 (BOM or not), comma/semicolon/tab; ``decimal=comma`` declares a decimal comma (else it
        is read only where the file proves it)."""
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"errors": [{"row": 0, "field": "file", "message": "Attach the CSV as 'file'."}]},
                            status=status.HTTP_400_BAD_REQUEST)
        if str(request.query_params.get("async", "")).lower() in ("1", "true", "yes"):
            return self._import_later(request, upload)
        try:
            result = measurements_import_csv(actor=request.user, upload=upload, now=timezone.now(),
                                             confirm=_confirmed(request, {"confirm": request.data.get("confirm")}),
                                             decimal=str(request.data.get("decimal") or ""))
        except BulkValidationError as exc:
            return Response(exc.payload(), status=status.HTTP_400_BAD_REQUEST)
        except PlausibilityWarning as exc:
            return _doubts(exc)
        except MeasurementConflict:
            return _conflict()
        return Response({"created": result.created, "updated": result.updated}, status=status.HTTP_201_CREATED)

    def _import_later(self, request, upload) -> Response:
        """``?async=1``: the file's shape is checked now (400), the import runs as a job (202; poll
        ``/api/v1/import-jobs/{id}/``). ``confirm=true`` records questioned values as they are."""
        decimal = str(request.data.get("decimal") or "")
        try:
            raw = read_bytes(upload)
            shape = check_shape(raw, decimal=decimal)
        except BulkValidationError as exc:
            return Response(exc.payload(), status=status.HTTP_400_BAD_REQUEST)
        job = import_job_request(actor=request.user, raw=raw, filename=upload.name or "", shape=shape,
                                 decimal=decimal, confirm=_confirmed(request, {"confirm": request.data.get("confirm")}))
        return Response(s.ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("import-job-detail", args=[job.pk])})


class ImportJobViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """The caller's own import jobs (``POST /api/v1/measurements/import/?async=1``), newest first;
    anyone else's answer 404."""

    model = ImportJob
    serializer_class = s.ImportJobSerializer
    filter_backends: list = []

    def scoped_queryset(self, queryset):
        return queryset.defer("content")


SCORECARD_PARAMS = [
    OpenApiParameter("org_unit", OpenApiTypes.STR, required=True, description="Org unit code"),
    OpenApiParameter("period", OpenApiTypes.STR, description="YYYY-MM (default: the latest closed month with enough "
                                                              "coverage, as the dashboard opens on)"),
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
        # Without one, the dashboard's rule: closed, covered, never future.
        period = period_param(params) or default_period(user, unit).period
        return (cells.filter(grain=grain, period=cell_period(period, grain)).select_related("kpi", "org_unit")
                .order_by("kpi__category", "kpi__code"))


class ObjectiveViewSet(ScopedModelViewSet):
    """The objectives cascade and the KPIs that measure each objective. Admins write top-level
    objectives; leaders and managers add and change children at org units in their scope and for
    partnerships they may change (403 otherwise); a child outside its parent's subtree is 400.
    Filters: ``?parent=CODE``, ``?org_unit=CODE``, ``?partnership=ID`` (from the caller's scope),
    ``?top=true`` for top-level objectives."""

    model = StrategicObjective
    serializer_class = s.ObjectiveSerializer
    write_roles = (Role.LEADER, Role.MANAGER)
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = ObjectiveFilter

    def scoped_queryset(self, queryset):
        return queryset.select_related("parent", "org_unit").prefetch_related(
            Prefetch("kpis", queryset=KPI.objects.restrict(self.request.user, "view").only("code")),
            Prefetch("children", queryset=StrategicObjective.objects.restrict(self.request.user, "view")
                     .only("code", "parent_id")))

    def perform_destroy(self, instance):
        objective_delete(actor=self.request.user, objective=instance)
