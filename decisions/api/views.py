from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from decisions import party_analytics, selectors, services
from decisions.api import serializers as s
from decisions.filtersets import DecisionFilter
from decisions.models import (
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionType,
    MatrixCell,
    MatrixVersion,
)
from decisions.services.stages import stage_intervals
from governance.api.pagination import LargeCollectionPagination
from governance.api.viewsets import ScopedModelViewSet, ScopedReadCreateViewSet, ScopedViewSetMixin
from governance.models import Notification, OrgUnit, Role
from governance.notifications import notification_mark_read
from kpis.models import KPI

CONFLICT = OpenApiResponse(s.ConflictSerializer, description="Not possible in the decision's current state.")
FORBIDDEN = OpenApiResponse(description="Your role, or your part in this decision, does not allow this.")
NOT_FOUND = OpenApiResponse(description="No such decision in your scope.")


STALE = OpenApiResponse(s.StaleVersionSerializer, description="Your edit started from a version that is no "
                        "longer the newest: the versions published since come back; nothing was published.")


class DecisionTypeViewSet(ScopedModelViewSet):
    """Decision types and their SLA policy. Admins write; writing ``rights`` publishes a new
    matrix version edited from ``base_version`` (409 when stale; 400 with the lint messages for a
    conflict, or for gaps unless ``acknowledge_gaps``), effective now or at ``effective_at``."""

    model = DecisionType
    serializer_class = s.DecisionTypeSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["decided_at_level", "calendar", "is_active"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]

    def scoped_queryset(self, queryset):
        return queryset.order_by("code")

    def perform_destroy(self, instance):
        # Logged decisions keep their type: retire it instead of deleting.
        services.decision_type_update(decision_type=instance, actor=self.request.user, is_active=False)

    @extend_schema(responses={200: s.DecisionTypeSerializer, 400: OpenApiResponse(description="Invalid."),
                              403: FORBIDDEN, 409: STALE})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: s.DecisionTypeSerializer, 400: OpenApiResponse(description="Invalid."),
                              403: FORBIDDEN, 409: STALE})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(responses=s.MatrixVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, code=None):
        """Every published matrix version, newest first, with this decision type's roles in it."""
        decision_type = self.get_object()
        if request.user.is_partner:
            raise PermissionDenied("The decision-rights matrix is internal.")
        versions = MatrixVersion.objects.restrict(request.user, "view").select_related(
            "published_by", "cancelled_by").prefetch_related(
            Prefetch("cells", queryset=MatrixCell.objects.filter(decision_type=decision_type)
                     .select_related("decision_type", "function")))
        page = self.paginate_queryset(versions.order_by("-number"))
        data = s.MatrixVersionSerializer(page, many=True, context={"decision_type_id": decision_type.pk}).data
        return self.get_paginated_response(data)


class MatrixVersionViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    """Decision-rights matrix versions (internal users read them): publish a whole matrix, cancel a
    scheduled version, diff two versions, lint (admins write)."""

    model = MatrixVersion
    serializer_class = s.MatrixVersionSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def scoped_queryset(self, queryset):
        return queryset.select_related("published_by", "cancelled_by").prefetch_related(
            Prefetch("cells", queryset=MatrixCell.objects.select_related("decision_type", "function"))
        ).order_by("-number")

    @extend_schema(request=s.MatrixPublishSerializer,
                   responses={201: s.MatrixVersionSerializer, 200: s.MatrixVersionSerializer,
                              400: OpenApiResponse(description="Conflicts, unacknowledged gaps or a bad time."),
                              403: FORBIDDEN, 409: STALE},
                   description="Publish the whole matrix as a new version edited from `base_version` "
                               "(201; 200 with the newest version when nothing changed).")
    def create(self, request):
        body = s.MatrixPublishSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        head = MatrixVersion.objects.head()
        version = services.matrix_publish(
            actor=request.user, cells=body.cells_dict(), base_version=data["base_version"],
            acknowledge_gaps=data["acknowledge_gaps"], effective_at=data.get("effective_at"), note=data["note"])
        fresh = self.get_queryset().get(pk=version.pk)
        unchanged = head is not None and version.pk == head.pk
        return Response(s.MatrixVersionSerializer(fresh).data,
                        status=status.HTTP_200_OK if unchanged else status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.MatrixVersionSerializer, 403: FORBIDDEN, 404: NOT_FOUND,
                                            409: CONFLICT},
                   description="Cancel the newest version while it is still scheduled (it never takes effect).")
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        version = services.matrix_version_cancel(version=self.get_object(), actor=request.user)
        return Response(s.MatrixVersionSerializer(self.get_queryset().get(pk=version.pk)).data)

    @extend_schema(parameters=[OpenApiParameter("from", OpenApiTypes.INT, required=True),
                               OpenApiParameter("to", OpenApiTypes.INT, required=True)],
                   responses={200: s.MatrixDiffSerializer(many=True), 400: OpenApiResponse(description="Bad numbers."),
                              404: OpenApiResponse(description="No such version.")},
                   description="The cells that differ between two versions (`before` in `from`, `after` in `to`).")
    @action(detail=False, methods=["get"])
    def diff(self, request):
        numbers = [request.query_params.get(k, "") for k in ("from", "to")]
        if not all(n.isdigit() and len(n) < 10 for n in numbers):
            raise ValidationError({"from": "Give two version numbers: ?from=N&to=M."})
        versions = {v.number: v for v in self.get_queryset().filter(number__in=[int(n) for n in numbers])}
        if any(int(n) not in versions for n in numbers):
            raise NotFound("No such matrix version.")
        return Response(selectors.matrix_version_diff(versions[int(numbers[0])], versions[int(numbers[1])]))

    @extend_schema(methods=["GET"], responses=s.LintReportSerializer,
                   description="Lint the newest matrix version: conflicts (not exactly one D) and gaps (nobody "
                               "in an org unit's chain holds an A or D function) by decision type and org unit.")
    @extend_schema(methods=["POST"], request=s.MatrixLintInputSerializer, responses=s.LintReportSerializer,
                   description="Lint a proposed matrix (admins) without publishing it.")
    @action(detail=False, methods=["get", "post"])
    def lint(self, request):
        if request.user.is_partner:
            raise PermissionDenied("The decision-rights matrix is internal.")
        if request.method == "POST":
            body = s.MatrixLintInputSerializer(data=request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            cells = body.cells_dict()
        else:
            cells = services.matrix_cells(MatrixVersion.objects.head())
        return Response(services.matrix_lint(cells=cells).as_dict())

class DecisionViewSet(ScopedReadCreateViewSet):
    """The decision log, scoped to the caller. Leaders and managers log decisions and act on them
    where the matrix gives them a part; the workflow answers 409 when the state does not allow it."""

    model = Decision
    write_roles = (Role.LEADER, Role.MANAGER)
    # Partner users answer where the matrix names the partner (their part decides; 403/409 otherwise).
    action_write_roles = {step: (Role.LEADER, Role.MANAGER, Role.PARTNER) for step in ("agree", "input", "decide")}
    serializer_class = s.DecisionSerializer
    pagination_class = LargeCollectionPagination
    filterset_class = DecisionFilter
    search_fields = ["title"]
    ordering_fields: list = []

    # Steps whose service re-reads the decision under a lock (services.common._locked): that the
    # caller may view it (404 otherwise) and its id are all they need; the answer is read afresh (_out).
    LOCKING_STEPS = frozenset({"agree", "decide", "input", "withdraw", "reopen", "reassign", "visibility"})

    def scoped_queryset(self, queryset):
        if self.action in self.LOCKING_STEPS:
            return queryset.only("pk")
        if self.action in ("list", "retrieve"):
            return queryset  # read as values() rows: see _rows_data()
        return queryset.select_related("decision_type", "org_unit", "decider_function", "deciding_unit",
                                       "matrix_version").prefetch_related(
            Prefetch("kpis", queryset=KPI.objects.restrict(self.request.user, "view")),
            Prefetch("participants", queryset=DecisionParticipant.objects.restrict(self.request.user, "view")
                     .select_related("user", "function", "org_unit")))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list(self, request, *args, **kwargs):
        # The detail's representation, built from values() rows (DecisionListSerializer): one query
        # for the scoped, filtered page (cursor on -pk), one each for its participants and KPIs.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(s.DecisionListSerializer.rows(queryset))
        return self.get_paginated_response(self._rows_data(page))

    def retrieve(self, request, *args, **kwargs):
        # As get_object() finds it (scoped, filtered, 404 otherwise), read as the list reads a row.
        queryset = self.filter_queryset(self.get_queryset())
        row = get_object_or_404(s.DecisionListSerializer.rows(queryset), pk=self.kwargs["pk"])
        return Response(self._rows_data([row])[0])

    def _rows_data(self, rows) -> list:
        """``DecisionSerializer``'s representation of ``rows`` (``DecisionListSerializer.rows``): the
        same keys and values, from values() rows and one query each for participants and KPIs."""
        return s.DecisionListSerializer(rows, many=True, context=self.get_serializer_context()).data

    def get_serializer_class(self):
        return {"create": s.DecisionCreateSerializer, "partial_update": s.DecisionEditSerializer,
                "revise": s.DecisionReviseSerializer}.get(self.action, s.DecisionSerializer)

    @extend_schema(request=s.DecisionEditSerializer,
                   responses={200: s.DecisionSerializer, 400: OpenApiResponse(description="Invalid value."),
                              403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="The requester edits their open decision (only the fields sent change) until "
                               "the first agreement, veto or input of the round; then 409.")
    def partial_update(self, request, pk=None):
        decision = self.get_object()
        body = s.DecisionEditSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.decision_edit(decision=decision, actor=request.user, changes=body.changes())
        return Response(self._out(decision))

    @extend_schema(request=s.DecisionReviseSerializer,
                   responses={200: s.DecisionSerializer, 400: OpenApiResponse(description="Nothing to revise."),
                              403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="After a veto, the requester revises the decision (the fields sent change, "
                               "`comment` says how the veto is addressed): a new round starts and every "
                               "agreement is asked for again. Before anyone answered, it is an edit.")
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        decision = self.get_object()
        body = s.DecisionReviseSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.decision_revise(decision=decision, actor=request.user, changes=body.changes(),
                                 comment=body.validated_data.get("comment", ""))
        return Response(self._out(decision))

    @extend_schema(request=None,
                   responses={200: s.NudgeResultSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT,
                              429: OpenApiResponse(description="A reminder went out recently (Retry-After).")},
                   description="Remind the people the decision waits on (requester, decider or admin); at "
                               "most once every 4 hours per decision.")
    @action(detail=True, methods=["post"])
    def nudge(self, request, pk=None):
        decision = self.get_object()
        # Too soon: NudgedRecently (governance.errors.TooSoon) answers 429 with Retry-After.
        reminded = services.decision_nudge(decision=decision, actor=request.user)
        return Response({"reminded": [u.username for u in reminded], "decision": self._out(decision)})

    @extend_schema(request=s.DecisionCreateSerializer, responses={201: s.DecisionSerializer, 403: FORBIDDEN})
    def create(self, request, *args, **kwargs):
        body = s.DecisionCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        decision = body.save()
        return Response(self._out(decision), status=status.HTTP_201_CREATED)

    def _out(self, decision):
        """The decision after a step, as the caller may now see it (read afresh, scoped)."""
        scoped = Decision.objects.restrict(self.request.user, "view")
        return self._rows_data([s.DecisionListSerializer.rows(scoped).get(pk=decision.pk)])[0]

    def _act(self, request, body_class, service, **mapping):
        decision = self.get_object()
        body = body_class(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        kwargs = {target: body.validated_data[source] for target, source in mapping.items()}
        service(decision=decision, actor=request.user, **kwargs)
        return Response(self._out(decision))

    @extend_schema(request=s.DecideSerializer,
                   responses={200: s.DecisionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Decide. 409 while a required agreement (A) is missing or vetoed, when the "
                               "caller is not the current decider, or when the decision is not open.")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        return self._act(request, s.DecideSerializer, services.decision_decide, outcome="outcome",
                         rationale="rationale", rationale_visibility="rationale_visibility")

    @extend_schema(request=s.AgreeSerializer,
                   responses={200: s.DecisionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Agree (`agree: true`) or veto (`false`, comment required) as an A participant.")
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        return self._act(request, s.AgreeSerializer, services.decision_agree, agree="agree", comment="comment",
                         visibility="visibility")

    @extend_schema(request=s.InputSerializer,
                   responses={200: s.DecisionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Give input as an I (input) or R (recommend) participant.")
    @action(detail=True, methods=["post"])
    def input(self, request, pk=None):
        return self._act(request, s.InputSerializer, services.decision_give_input, comment="comment",
                         visibility="visibility")

    @extend_schema(request=s.VisibilitySerializer,
                   responses={200: s.DecisionSerializer, 400: OpenApiResponse(description="Not shareable."),
                              403: FORBIDDEN, 404: NOT_FOUND},
                   description="Share the decision (and its options or rationale) with the partner of its "
                               "partnership, or take it back: requester, current decider or admin.")
    @action(detail=True, methods=["post"])
    def visibility(self, request, pk=None):
        body = s.VisibilitySerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        decision = self.get_object()
        services.decision_set_visibility(decision=decision, actor=request.user, **body.validated_data)
        return Response(self._out(decision))

    @extend_schema(request=s.ReasonSerializer,
                   responses={200: s.DecisionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, s.ReasonSerializer, services.decision_withdraw, reason="reason")

    @extend_schema(request=s.ReasonSerializer,
                   responses={200: s.DecisionSerializer, 400: OpenApiResponse(description="A reason is required."),
                              403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(request, s.ReasonSerializer, services.decision_reopen, reason="reason")

    @extend_schema(request=s.ReassignSerializer,
                   responses={200: s.DecisionSerializer, 400: OpenApiResponse(description="Not a holder."),
                              403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Hand the decision to another holder of the same function at the deciding unit.")
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        return self._act(request, s.ReassignSerializer, services.decision_reassign, to_user="user", reason="reason")

    @extend_schema(responses=s.EventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=type(
        "TimelinePagination", (LargeCollectionPagination,), {"ordering": "pk"}), filter_backends=[])
    def events(self, request, pk=None):
        """The append-only timeline, oldest first."""
        decision = self.get_object()
        events = DecisionEvent.objects.restrict(request.user, "view").filter(decision=decision)
        page = self.paginate_queryset(events.select_related("actor").order_by("pk"))
        return self.get_paginated_response(s.EventSerializer(page, many=True,
                                                             context=self.get_serializer_context()).data)

    @extend_schema(request=s.PauseInputSerializer,
                   responses={201: s.PauseSerializer, 400: OpenApiResponse(description="Unknown reason or party."),
                              403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Pause the decision for one of its type's reasons, waiting on `party` (a function "
                               "code taking part, `partner` or `requester`). Whether the SLA clock stops, who may "
                               "pause, how long at most and what resumes it are the type's rules.")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        decision = self.get_object()
        body = s.PauseInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pause = services.decision_pause(decision=decision, actor=request.user, **body.validated_data)
        return Response(s.PauseSerializer(self._pauses(decision).get(pk=pause.pk),
                                          context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PauseSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
                   description="Resume a paused decision (whoever paused it, whoever may pause it, or an admin).")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        decision = self.get_object()
        pause = services.decision_resume(decision=decision, actor=request.user)
        return Response(s.PauseSerializer(self._pauses(decision).get(pk=pause.pk),
                                          context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.PauseSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def pauses(self, request, pk=None):
        """Every pause of the decision, oldest first (the running one has no ``resumed_at``)."""
        decision = self.get_object()
        return Response(s.PauseSerializer(self._pauses(decision), many=True,
                                          context=self.get_serializer_context()).data)

    def _pauses(self, decision):
        return (DecisionPause.objects.restrict(self.request.user, "view").filter(decision=decision)
                .select_related("rule", "function", "org_unit", "partner").order_by("paused_at", "pk"))

    @extend_schema(responses={200: s.StageIntervalSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def stages(self, request, pk=None):
        """The decision's open time by stage and party, oldest first (a few rows per decision)."""
        decision = self.get_object()
        rows = list(DecisionStage.objects.restrict(request.user, "view").filter(decision=decision)
                    .select_related("function", "org_unit", "partner").order_by("started_at", "pk"))
        rows = stage_intervals(decision, rows, self.get_serializer_context()["now"], viewer=request.user)
        return Response(s.StageIntervalSerializer(rows, many=True, context=self.get_serializer_context()).data)


class DecisionAnalyticsView(APIView):
    """Decision latency for the caller's scope: median/p90 hours to decision, % within SLA,
    escalation rate by decision type, org unit or function; waits by stage and function. Always
    computed live, for every parameter (the page's default view is served from snapshots,
    ``services.analytics_snapshots``; the API answers as of the request)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(selectors.GROUPINGS)),
            OpenApiParameter("org_unit", OpenApiTypes.STR, description="Org unit code (its subtree)."),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only decisions logged since."),
            OpenApiParameter("by", OpenApiTypes.STR, enum=["party"],
                             description="`party` adds `parties`: waiting time per party and stage, top blockers."),
            OpenApiParameter("split", OpenApiTypes.STR, enum=["decision_type", "org_unit", "month"],
                             description="With by=party: the same per decision type, org unit or month."),
        ],
        responses={200: s.AnalyticsSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request):
        if request.user.is_partner:
            raise PermissionDenied("Decision analytics are for internal users.")
        unit = None
        if request.query_params.get("org_unit"):
            unit = OrgUnit.objects.restrict(request.user, "view").filter(code=request.query_params["org_unit"]).first()
            if unit is None:
                return Response({"detail": "No such org unit in your scope."}, status=status.HTTP_404_NOT_FOUND)
        since = None
        if request.query_params.get("since"):
            since = parse_datetime(request.query_params["since"])
        data = selectors.latency_analytics(user=request.user, group_by=request.query_params.get("group_by", ""),
                                           org_unit=unit, since=since)
        by, split = request.query_params.get("by", ""), request.query_params.get("split", "")
        if by not in ("", "party") or split not in party_analytics.SPLITS:
            raise ValidationError({"by": "Use by=party, optionally with split=decision_type, org_unit or month."})
        if by == "party":
            data["parties"] = party_analytics.party_analytics(user=request.user, org_unit=unit, since=since,
                                                              split=split)
        return Response(s.AnalyticsSerializer(data).data if by else data)


class NotificationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications, newest first."""

    model = Notification
    serializer_class = s.NotificationSerializer
    write_roles = tuple(Role)
    filter_backends: list = []

    def scoped_queryset(self, queryset):
        unread = self.request.query_params.get("unread")
        if unread in ("1", "true"):
            queryset = queryset.unread()
        return queryset.order_by("-created_at", "-pk")

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.MarkReadSerializer,
                   responses={200: OpenApiResponse(description='{"marked": <number marked read>}')})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        body = s.MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = notification_mark_read(user=request.user, ids=body.validated_data.get("ids"))
        return Response({"marked": marked})
