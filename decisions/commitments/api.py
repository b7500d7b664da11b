"""``GET /api/v1/partnerships/{id}/commitments/``: each side's commitments and their attainment (the
same route and name the partnership viewset's action had; it lives here, above KPIs and decisions)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from decisions.commitments.attainment import attainment, recent_months
from governance.api.params import period_param
from governance.querysets import VIEW
from partners.models import Partnership


class BreachSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="The decision (its title if you may see it) or the missing submission.")
    due = serializers.DateTimeField()
    done = serializers.DateTimeField(allow_null=True, help_text="When it was answered or entered (null: not yet).")


class CommitmentResultSerializer(serializers.Serializer):
    side = serializers.CharField(source="commitment.side", help_text="ours or theirs.")
    name = serializers.CharField(source="commitment.name")
    target = serializers.DecimalField(source="commitment.target", max_digits=4, decimal_places=3,
                                      coerce_to_string=False, help_text="The share on time committed to.")
    period = serializers.SerializerMethodField()
    attainment = serializers.FloatField(allow_null=True, help_text="Share on time (null: nothing was due).")
    breaches = BreachSerializer(many=True)

    def get_period(self, obj) -> str:
        return obj.period.strftime("%Y-%m")


class PartnershipCommitmentsView(APIView):
    @extend_schema(
        operation_id="partnerships_commitments_list",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The partnership."),
                    OpenApiParameter("period", OpenApiTypes.STR, description="YYYY-MM (default: the last six months)")],
        responses={200: CommitmentResultSerializer(many=True)},  # 400/401/404: governance.api.schema adds them
    )
    def get(self, request, pk: str):
        """What each side committed to, per month: ``attainment`` (share on time) against ``target``
        and the ``breaches``. Ours are measured from Accord's decisions, theirs from their submissions."""
        partnership = get_object_or_404(Partnership.objects.restrict(request.user, VIEW), pk=pk)
        period = period_param(request.query_params)
        months = [period] if period else recent_months()
        rows = attainment(viewer=request.user, partnership=partnership, months=months)
        return Response(CommitmentResultSerializer(rows, many=True).data)
