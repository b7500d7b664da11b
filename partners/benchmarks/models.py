"""Stored peer benchmarks (registered with the partners app; ``partners.models`` imports them)."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from governance.querysets import VIEW, ScopedQuerySet, member_partnership_ids

AMOUNT = {"max_digits": 20, "decimal_places": 6}


class Band(models.TextChoices):
    TOP = "top", "Top quartile"
    SECOND = "second", "Second quartile"
    THIRD = "third", "Third quartile"
    BOTTOM = "bottom", "Bottom quartile"


class CohortQuerySet(ScopedQuerySet):
    """Cohort statistics are aggregates: internal users view them; partner users only the cohorts
    their partnerships belong to (same type, a KPI they co-own) — the selectors join them."""

    def _restrict_view(self, user) -> CohortQuerySet:
        if user.is_partner:
            mine = apps.get_model("partners", "Partnership").objects.filter(pk__in=member_partnership_ids(user))
            co_owned = self.related_model("kpi").objects.filter(ownerships__partnership__in=mine)
            return self.filter(partnership_type__in=mine.values("type"), kpi__in=co_owned.values("pk"))
        return self.all()


class PositionQuerySet(ScopedQuerySet):
    """A partnership's own position is viewed with the partnership (its value is its own data)."""

    scope_org_unit_field = None
    scope_partnership_field = "partnership"

    def _restrict_view(self, user) -> PositionQuerySet:
        return self.filter(partnership__in=self.related_model("partnership").objects.restrict(user, VIEW).values("pk"))


class PeerCohort(models.Model):
    """The partnerships of one type with a month value for one KPI: size, quartiles, median."""

    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="+")
    partnership_type = models.CharField(max_length=32)
    period = models.DateField()
    cohort_size = models.PositiveIntegerField()
    median = models.DecimalField(**AMOUNT)
    p25 = models.DecimalField(**AMOUNT)
    p75 = models.DecimalField(**AMOUNT)

    objects = CohortQuerySet.as_manager()

    class Meta:
        app_label = "partners"
        constraints = [models.UniqueConstraint(fields=["kpi", "partnership_type", "period"],
                                               name="peercohort_unique")]
        # The refresh deletes and rewrites whole months.
        indexes = [models.Index(fields=["period"], name="peercohort_period")]

    def __str__(self) -> str:
        return f"{self.kpi_id}/{self.partnership_type} {self.period:%Y-%m}: n={self.cohort_size}"


class PeerPosition(models.Model):
    """Where one partnership stands in its cohort: its own value, the share of the cohort it does at
    least as well as (``percentile``, direction-aware: 1.0 = best) and the quartile band."""

    partnership = models.ForeignKey("partners.Partnership", on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    value = models.DecimalField(**AMOUNT)
    percentile = models.FloatField()
    band = models.CharField(max_length=8, choices=Band.choices)

    objects = PositionQuerySet.as_manager()

    class Meta:
        app_label = "partners"
        constraints = [models.UniqueConstraint(fields=["partnership", "kpi", "period"], name="peerposition_unique")]
        indexes = [models.Index(fields=["period"], name="peerposition_period")]

    def __str__(self) -> str:
        return f"{self.partnership_id}/{self.kpi_id} {self.period:%Y-%m}: {self.band}"
