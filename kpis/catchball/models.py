"""Target proposals and their steps. Registered with the kpis app (imported by ``kpis.models``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from governance.querysets import VIEW, ScopedQuerySet

AMOUNT = {"max_digits": 20, "decimal_places": 6}  # as ``kpis.models.AMOUNT``: a target's value


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed — the child answers"
    COUNTERED = "countered", "Countered — the parent answers"
    AGREED = "agreed", "Agreed"


class Side(models.TextChoices):
    PARENT = "parent", "Parent"
    CHILD = "child", "Child"


class StepKind(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    COUNTERED = "countered", "Countered"
    REVISED = "revised", "Revised"
    ACCEPTED = "accepted", "Accepted"


class TargetProposalQuerySet(ScopedQuerySet):
    """Internal users view the proposals of their scope (the org unit in their subtrees — the
    parent above and the child's own people alike); partner users those of their partnerships.
    Who may answer is ``catchball.rules``' business, not a scope."""

    actions = (VIEW,)
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"

    def open(self) -> TargetProposalQuerySet:
        return self.exclude(status=ProposalStatus.AGREED)


class StepQuerySet(ScopedQuerySet):
    """Steps are viewed through their proposal."""

    def _restrict_view(self, user) -> StepQuerySet:
        return self.filter(proposal__in=TargetProposal.objects.restrict(user, VIEW).values("pk"))


class TargetProposal(models.Model):
    """A target under negotiation for a KPI × org unit × optional partnership × month. ``value`` is
    the value on the table; ``status`` says whose turn it is. At most one open proposal per key."""

    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="proposals")
    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    partnership = models.ForeignKey("partners.Partnership", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="target_proposals")
    partnership_key = models.BigIntegerField(default=0, editable=False)
    period = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(**AMOUNT)
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    target = models.ForeignKey("kpis.Target", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="The target the agreed value set.")

    objects = TargetProposalQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        app_label = "kpis"
        ordering = ["-updated_at", "-pk"]
        constraints = [
            # One negotiation at a time per key: a second proposal while one is open is refused.
            models.UniqueConstraint(fields=["kpi", "org_unit", "partnership_key", "period"],
                                    condition=~models.Q(status="agreed"), name="targetproposal_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}@{self.org_unit_id} {self.period:%Y-%m}: {self.value} ({self.status})"

    @property
    def turn(self) -> str | None:
        """The side that answers next (``None`` once agreed)."""
        return {ProposalStatus.PROPOSED: Side.CHILD, ProposalStatus.COUNTERED: Side.PARENT}.get(self.status)


class TargetProposalStep(models.Model):
    """One move of the catch-ball (append-only): who, which side, the value put on the table, why."""

    proposal = models.ForeignKey(TargetProposal, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    side = models.CharField(max_length=8, choices=Side.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(**AMOUNT)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    objects = StepQuerySet.as_manager()

    class Meta:
        app_label = "kpis"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.kind} {self.value}"
