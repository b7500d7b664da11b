"""Enablement items (registered with the partners app; ``partners.models`` imports them)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from partners.querysets import EnablementItemQuerySet


class EnablementKind(models.TextChoices):
    TRAINING = "training", "Training"
    CERTIFICATION = "certification", "Certification"
    ONBOARDING = "onboarding", "Onboarding step"


class EnablementItem(models.Model):
    """One thing the partner must get through — done when ``done_at`` is set, on time when that
    falls on or before ``due_date`` (in the site's zone). Archived items (``archived_at``) are no
    longer part of the plan: not listed, not counted by the ENABLEMENT KPI; their history stays."""

    partnership = models.ForeignKey("partners.Partnership", on_delete=models.CASCADE, related_name="enablement_items")
    kind = models.CharField(max_length=16, choices=EnablementKind.choices)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enablement_items")
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True, help_text="Dropped from the plan (kept for history).")

    objects = EnablementItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        app_label = "partners"
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["partnership", "due_date"], name="enablement_partnership_due")]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_date < today
