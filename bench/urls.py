"""Bench-only URLconf: the application's URLs plus the bare DRF list the decision API is compared
with (a plain ListAPIView: no scoping, no filters, no nested participants, same cursor pages)."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination

from decisions.models import Decision


class BareDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "title", "description", "decision_type", "org_unit", "partnership", "priority", "options",
                  "status", "escalation_level", "escalation_exhausted", "requested_by", "requested_at", "due_at",
                  "sla_due_at", "decider", "decider_function", "deciding_unit", "decided_by", "decided_at",
                  "outcome", "rationale", "matrix_version"]


class BarePagination(CursorPagination):
    page_size = 100
    ordering = "-pk"


class BareDecisionList(generics.ListAPIView):
    queryset = Decision.objects.all()
    serializer_class = BareDecisionSerializer
    pagination_class = BarePagination
    filter_backends: list = []


urlpatterns = [
    path("bench/bare-decisions/", BareDecisionList.as_view()),
    path("", include("governance.urls")),
]
