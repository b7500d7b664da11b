"""``/api/v1/targets/proposals/``: list and read the proposals in scope, propose, accept, counter."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.api.viewsets import ScopedViewSetMixin
from governance.models import OrgUnit, Role
from kpis.api.serializers import PeriodField
from kpis.catchball import rules, services
from kpis.catchball.models import TargetProposal, TargetProposalStep
from kpis.models import KPI
from partners.models import Partnership

AMOUNT = {"max_digits": 20, "decimal_places": 6, "coerce_to_string": False}


class StepSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(**AMOUNT)

    class Meta:
        model = TargetProposalStep
        fields = ["kind", "side", "value", "comment", "at"]


class ProposalSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partnership = serializers.PrimaryKeyRelatedField(read_only=True)
    target = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The target the agreed value set.")
    period = PeriodField(read_only=True)
    value = serializers.DecimalField(**AMOUNT, read_only=True)
    turn = serializers.CharField(read_only=True, allow_null=True)
    your_side = serializers.SerializerMethodField()
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = TargetProposal
        fields = ["id", "kpi", "org_unit", "partnership", "period", "value", "status", "turn", "your_side", "target",
                  "created_at", "updated_at", "steps"]

    def get_your_side(self, obj) -> str | None:
        """``parent``, ``child`` or ``null``: the caller's side of this proposal."""
        sides = self.context.setdefault("sides", {})  # once per (unit, partnership) key of a list
        key = (obj.org_unit_id, obj.partnership_id)
        if key not in sides:
            sides[key] = rules.side_of(self.context["request"].user, org_unit=obj.org_unit,
                                       partnership=obj.partnership)
        return sides[key]


class ProposeSerializer(serializers.Serializer):
    kpi = ScopedSlugRelatedField(model=KPI, slug_field="code")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code")
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, action="log", allow_null=True, required=False)
    period = PeriodField()
    value = serializers.CharField(max_length=40, help_text="The target (strict number; percent KPIs: a "
                                  "fraction or \"85%\"). Checked against the KPI's kind and range.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AcceptSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CounterSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=40, help_text="Your value (as for proposing).")
    comment = serializers.CharField(max_length=2000)


TURN = OpenApiResponse(description="You are not on the side whose turn it is.")
CLOSED = OpenApiResponse(description="Agreed already, or another proposal for the key is open.")


class TargetProposalViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Target catch-ball: a parent proposes, the child accepts or counters, the parent accepts or
    revises (``counter`` on its turn); the agreed value becomes the target. ``your_side`` and
    ``turn`` say who answers next."""

    model = TargetProposal
    serializer_class = ProposalSerializer
    write_roles = (Role.LEADER, Role.MANAGER, Role.PARTNER)
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, queryset):
        steps = TargetProposalStep.objects.restrict(self.request.user, "view").order_by("at", "pk")
        return queryset.select_related("kpi", "org_unit__parent", "partnership").prefetch_related(
            Prefetch("steps", queryset=steps)).order_by("-updated_at", "-pk")

    def _out(self, proposal, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response(ProposalSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ProposeSerializer, responses={201: ProposalSerializer, 403: TURN, 409: CLOSED})
    def create(self, request):
        body = ProposeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        proposal = services.proposal_create(actor=request.user, **body.validated_data)
        return self._out(proposal, status.HTTP_201_CREATED)

    @extend_schema(request=AcceptSerializer, responses={200: ProposalSerializer, 403: TURN, 409: CLOSED})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        proposal = self.get_object()
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.proposal_accept(actor=request.user, proposal=proposal, **body.validated_data))

    @extend_schema(request=CounterSerializer, responses={200: ProposalSerializer, 403: TURN, 409: CLOSED})
    @action(detail=True, methods=["post"])
    def counter(self, request, pk=None):
        proposal = self.get_object()
        body = CounterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(services.proposal_counter(actor=request.user, proposal=proposal, **body.validated_data))
