"""/api/v1/partners/, partnerships/ (with /{id}/enablement-items/), assessments/, reviews/,
review-actions/, enablement-items/.

Reads: the caller's scoped queryset (out of scope = 404, never listed). Writes: role first
(``write_roles``: 403), then the service re-checks scope inside its transaction.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.fields import ScopedPrimaryKeyRelatedField
from governance.api.viewsets import ScopedModelViewSet, ScopedReadUpdateViewSet
from governance.models import Role, User
from governance.querysets import CHANGE, DELETE, SHARE, VIEW
from partners import selectors, services
from partners.api.serializers import (
    BusinessReviewSerializer,
    EnablementItemSerializer,
    MaturityAssessmentSerializer,
    MaturitySerializer,
    PartnerSerializer,
    PartnershipSerializer,
    ReviewActionSerializer,
)
from partners.enablement.models import EnablementItem
from partners.enablement.services import enablement_archive
from partners.filtersets import (
    BusinessReviewFilter,
    EnablementItemFilter,
    MaturityAssessmentFilter,
    PartnerFilter,
    PartnershipFilter,
    ReviewActionFilter,
)
from partners.models import BusinessReview, MaturityAssessment, Partner, Partnership, ReviewAction

INTERNAL_WRITERS = (Role.LEADER, Role.MANAGER)
ERRORS = {
    400: OpenApiResponse(description="Invalid input: field errors."),
    401: OpenApiResponse(description="Not signed in."),
    403: OpenApiResponse(description="Your role may not make this change, or not in this scope."),
    404: OpenApiResponse(description="Not found, or outside your scope."),
}


class ShareSerializer(serializers.Serializer):
    user = ScopedPrimaryKeyRelatedField(model=User, action=SHARE,
                                        help_text="An active internal user (partner users join as members).")


class _ServiceDestroyMixin:
    destroy_service = None
    destroy_kwarg = ""

    def perform_destroy(self, instance):
        self.destroy_service(actor=self.request.user, **{self.destroy_kwarg: instance})


@extend_schema(tags=["partners"])
@extend_schema_view(
    list=extend_schema(responses={200: PartnerSerializer(many=True), 401: ERRORS[401]}),
    create=extend_schema(responses={201: PartnerSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: PartnerSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: PartnerSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: PartnerSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class PartnerViewSet(_ServiceDestroyMixin, ScopedModelViewSet):
    """External organisations. Admins write everything; leaders and managers partners covering
    org units in their scope; partner users read their own partner only."""

    model = Partner
    serializer_class = PartnerSerializer
    write_roles = INTERNAL_WRITERS
    filterset_class = PartnerFilter
    search_fields = ["name"]
    ordering_fields = ["name", "kind", "status"]
    destroy_service = staticmethod(services.partner_delete)
    destroy_kwarg = "partner"

    def scoped_queryset(self, queryset):
        visible = Partnership.objects.restrict(self.request.user, VIEW).order_by("name")
        return queryset.prefetch_related(
            "org_units", Prefetch("partnerships", queryset=visible, to_attr="visible_partnerships")
        ).order_by("name", "pk")


@extend_schema(tags=["partnerships"])
@extend_schema_view(
    list=extend_schema(responses={200: PartnershipSerializer(many=True), 401: ERRORS[401]}),
    create=extend_schema(responses={201: PartnershipSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: PartnershipSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: PartnershipSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: PartnershipSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class PartnershipViewSet(_ServiceDestroyMixin, ScopedModelViewSet):
    """Governed partnerships. Leaders and managers create and change those whose org units are
    all in their scope (403 otherwise, nothing written); ``members`` is admin-only. A partnership
    shared with someone through guardian is readable, not writable, for them."""

    model = Partnership
    serializer_class = PartnershipSerializer
    write_roles = INTERNAL_WRITERS
    filterset_class = PartnershipFilter
    search_fields = ["name", "partner__name"]
    ordering_fields = ["name", "start", "next_review_due"]
    destroy_service = staticmethod(services.partnership_delete)
    destroy_kwarg = "partnership"
    object_actions = {"share": CHANGE, "unshare": CHANGE}

    def scoped_queryset(self, queryset):
        return queryset.select_related("owner_function").prefetch_related(
            "org_units", "functions", "members"
        ).order_by("name", "pk")

    @extend_schema(responses={200: MaturitySerializer, 401: ERRORS[401], 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def maturity(self, request, pk=None):
        """Maturity level (1–5), the average and each dimension's internal vs partner score and gap."""
        m = selectors.partnership_maturity(self.get_object())
        return Response({
            "level": m.level, "level_name": m.level_name,
            "average": None if m.average is None else round(m.average, 2),
            "dimensions": [{"dimension": d.field, "internal": d.internal, "partner": d.partner, "gap": d.gap}
                           for d in m.dimensions],
        })

    @extend_schema(methods=["GET"], responses={200: EnablementItemSerializer(many=True), 401: ERRORS[401],
                                               404: ERRORS[404]})
    @extend_schema(methods=["POST"], request=EnablementItemSerializer,
                   responses={201: EnablementItemSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], url_path="enablement-items", url_name="enablement-items")
    def enablement_items(self, request, pk=None):
        """The partnership's enablement items (GET; ``?archived=true`` lists the archived ones), or
        add one (POST ``{kind, title, owner, due_date}``): internal users who may change the
        partnership (403 otherwise, nothing written)."""
        partnership = self.get_object()
        if request.method == "POST":
            serializer = EnablementItemSerializer(data=request.data, context={**self.get_serializer_context(),
                                                                              "partnership": partnership})
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(serializer.data, status=status.HTTP_201_CREATED)
        archived = str(request.query_params.get("archived", "")).lower() in ("true", "1", "yes")
        items = (EnablementItem.objects.restrict(request.user, VIEW).filter(partnership=partnership)
                 .filter(archived_at__isnull=not archived).order_by("due_date", "pk"))
        return Response(EnablementItemSerializer(items, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=ShareSerializer, responses={204: None, **ERRORS})
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        """Share this partnership (read-only) with one internal user: ``{"user": id}``."""
        services.partnership_share(actor=request.user, partnership=self.get_object(), user=self._target_user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ShareSerializer, responses={204: None, **ERRORS})
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        """Withdraw a share: ``{"user": id}``."""
        services.partnership_unshare(actor=request.user, partnership=self.get_object(), user=self._target_user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _target_user(self) -> User:
        s = ShareSerializer(data=self.request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        return s.validated_data["user"]


@extend_schema(tags=["partnerships"])
@extend_schema_view(
    list=extend_schema(responses={200: MaturityAssessmentSerializer(many=True), 401: ERRORS[401]}),
    create=extend_schema(responses={201: MaturityAssessmentSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: MaturityAssessmentSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: MaturityAssessmentSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: MaturityAssessmentSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class MaturityAssessmentViewSet(_ServiceDestroyMixin, ScopedModelViewSet):
    """Maturity assessments. The side follows the caller: partner users post the partner side of
    their own partnerships (another partnership answers 404), internal users the internal side."""

    model = MaturityAssessment
    serializer_class = MaturityAssessmentSerializer
    write_roles = (*INTERNAL_WRITERS, Role.PARTNER)
    action_write_roles = {"destroy": ()}
    filterset_class = MaturityAssessmentFilter
    ordering_fields = ["assessed_at"]
    destroy_service = staticmethod(services.assessment_delete)
    destroy_kwarg = "assessment"

    def scoped_queryset(self, queryset):
        return queryset.order_by("-assessed_at", "-pk")


@extend_schema(tags=["partnerships"])
@extend_schema_view(
    list=extend_schema(responses={200: BusinessReviewSerializer(many=True), 401: ERRORS[401]}),
    create=extend_schema(responses={201: BusinessReviewSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: BusinessReviewSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: BusinessReviewSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: BusinessReviewSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class BusinessReviewViewSet(_ServiceDestroyMixin, ScopedModelViewSet):
    """QBRs and joint-planning forums. A held review moves its partnership's next review due date."""

    model = BusinessReview
    serializer_class = BusinessReviewSerializer
    write_roles = INTERNAL_WRITERS
    filterset_class = BusinessReviewFilter
    search_fields = ["title", "agenda", "notes"]
    ordering_fields = ["date"]
    destroy_service = staticmethod(services.review_delete)
    destroy_kwarg = "review"

    def scoped_queryset(self, queryset):
        return queryset.prefetch_related("attendees", "actions").order_by("-date", "-pk")


@extend_schema(tags=["partnerships"])
@extend_schema_view(
    list=extend_schema(responses={200: ReviewActionSerializer(many=True), 401: ERRORS[401]}),
    create=extend_schema(responses={201: ReviewActionSerializer, **ERRORS}),
    retrieve=extend_schema(responses={200: ReviewActionSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: ReviewActionSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ReviewActionSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class ReviewActionViewSet(_ServiceDestroyMixin, ScopedModelViewSet):
    """Follow-up actions of reviews. Partner users may only PATCH the ``status`` of actions they own."""

    model = ReviewAction
    serializer_class = ReviewActionSerializer
    write_roles = (*INTERNAL_WRITERS, Role.PARTNER)
    action_write_roles = {"create": INTERNAL_WRITERS, "destroy": INTERNAL_WRITERS}
    filterset_class = ReviewActionFilter
    search_fields = ["title"]
    ordering_fields = ["due_date", "status"]
    destroy_service = staticmethod(services.action_delete)
    destroy_kwarg = "action"

    def scoped_queryset(self, queryset):
        return queryset.order_by("due_date", "pk")


@extend_schema(tags=["partnerships"])
@extend_schema_view(
    list=extend_schema(responses={200: EnablementItemSerializer(many=True), 401: ERRORS[401]}),
    retrieve=extend_schema(responses={200: EnablementItemSerializer, 401: ERRORS[401], 404: ERRORS[404]}),
    update=extend_schema(responses={200: EnablementItemSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: EnablementItemSerializer, **ERRORS}),
)
class EnablementItemViewSet(ScopedReadUpdateViewSet):
    """Enablement items (create them under ``/partnerships/{id}/enablement-items/``). PATCH edits
    ``kind, title, owner, due_date`` (internal users who may change the partnership) or ``done``
    (also the item's owner, partner users included); ``/archive/`` and ``/restore/`` drop an item
    from the plan or bring it back. Never deleted: history keeps every step."""

    model = EnablementItem
    serializer_class = EnablementItemSerializer
    write_roles = (*INTERNAL_WRITERS, Role.PARTNER)
    action_write_roles = {"archive": INTERNAL_WRITERS, "restore": INTERNAL_WRITERS}
    object_actions = {"archive": DELETE, "restore": DELETE}
    filterset_class = EnablementItemFilter
    ordering_fields = ["due_date"]

    def scoped_queryset(self, queryset):
        if self.action == "list" and "archived" not in self.request.query_params:
            queryset = queryset.active()  # like the partnership's own list: the plan, unless ?archived= asks
        return queryset.order_by("due_date", "pk")

    @extend_schema(request=None, responses={200: EnablementItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Archive the item: no longer listed nor counted by the ENABLEMENT KPI; history kept."""
        item = self.get_object()
        enablement_archive(actor=request.user, item=item, archived=True)
        item.refresh_from_db()
        return Response(EnablementItemSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: EnablementItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring an archived item back into the plan."""
        item = self.get_object()
        enablement_archive(actor=request.user, item=item, archived=False)
        item.refresh_from_db()
        return Response(EnablementItemSerializer(item, context=self.get_serializer_context()).data)
