"""Commitments of a partnership (registered with the partners app; ``partners.models`` imports them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from governance.querysets import VIEW, ScopedQuerySet


class Side(models.TextChoices):
    OURS = "ours", "Ours (the company's)"
    THEIRS = "theirs", "Theirs (the partner's)"


class Measure(models.TextChoices):
    DECISION_SLA = "decision_sla", "Decisions of a type answered within N business days"
    SUBMISSION = "submission", "A KPI's monthly actuals entered by working day N of the next month"


class CommitmentQuerySet(ScopedQuerySet):
    """Viewed with the partnership (both sides see both sides' commitments)."""

    scope_org_unit_field = None
    scope_partnership_field = "partnership"

    def _restrict_view(self, user) -> CommitmentQuerySet:
        return self.filter(partnership__in=self.related_model("partnership").objects.restrict(user, VIEW).values("pk"))


class Commitment(models.Model):
    partnership = models.ForeignKey("partners.Partnership", on_delete=models.CASCADE, related_name="commitments")
    side = models.CharField(max_length=8, choices=Side.choices)
    name = models.CharField(max_length=200, help_text='e.g. "Price exceptions answered within 2 business days".')
    measure = models.CharField(max_length=16, choices=Measure.choices)
    decision_type = models.ForeignKey("decisions.DecisionType", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    kpi = models.ForeignKey("kpis.KPI", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    days = models.PositiveSmallIntegerField(help_text="N: business days to answer, or the working day to submit by.")
    target = models.DecimalField(max_digits=4, decimal_places=3, default=1,
                                 help_text="The share of items on time the side commits to (0.95 = 95%).")

    objects = CommitmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        app_label = "partners"
        ordering = ["partnership_id", "side", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.measure == Measure.DECISION_SLA and (self.decision_type_id is None or self.kpi_id is not None):
            raise ValidationError({"decision_type": "A decision SLA names a decision type (and no KPI)."})
        if self.measure == Measure.SUBMISSION and (self.kpi_id is None or self.decision_type_id is not None):
            raise ValidationError({"kpi": "A submission commitment names a KPI (and no decision type)."})
        if not 1 <= self.days <= 60:
            raise ValidationError({"days": "Between 1 and 60 days."})
        if not 0 < self.target <= 1:
            raise ValidationError({"target": "A share above 0 and at most 1 (0.95 = 95%)."})
