"""``GET /api/v1/partnerships/{id}/benchmarks/``: the partnership's peer benchmark (the same route
and name the partnership viewset's action had; it lives here, above the partners app)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.params import period_param
from governance.querysets import VIEW
from kpis.benchmarks.selectors import partnership_benchmarks
from partners.models import Partnership


class BenchmarkSerializer(serializers.Serializer):
    kpi = serializers.CharField(help_text="KPI code.")
    band = serializers.ChoiceField(choices=["top", "second", "third", "bottom"],
                                   help_text="The partnership's quartile among its peers (direction-aware).")
    median = serializers.DecimalField(max_digits=20, decimal_places=6, coerce_to_string=False,
                                      help_text="The cohort's median (an aggregate, never a peer's own figure).")
    cohort_size = serializers.IntegerField()


class PartnershipBenchmarksView(APIView):
    @extend_schema(
        operation_id="partnerships_benchmarks_list",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The partnership."),
                    OpenApiParameter("period", OpenApiTypes.STR,
                                     description="YYYY-MM (default: the latest month benchmarked)")],
        responses={200: BenchmarkSerializer(many=True)},  # 400/401/404: governance.api.schema adds them
    )
    def get(self, request, pk: str):
        """Where this partnership stands among partnerships of its type, per KPI the caller may view:
        quartile ``band`` (top/second/third/bottom), the cohort's ``median`` and ``cohort_size``.
        KPIs whose cohort is under the minimum (``ACCORD_BENCHMARK_MIN_COHORT``) are absent; no
        peer's name or value is ever returned."""
        partnership = get_object_or_404(Partnership.objects.restrict(request.user, VIEW), pk=pk)
        _, rows = partnership_benchmarks(user=request.user, partnership=partnership,
                                         period=period_param(request.query_params))
        return Response(BenchmarkSerializer(rows, many=True).data)
