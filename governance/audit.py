"""The audit trail: every change to governance data, who made it, when, before and after.

Models keep history with django-simple-history. This module names which models are audited
(by URL slug) and reads their history for the per-object history page and API, which admins and
leaders may open for objects in their scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404

from governance.models import Role

# slug -> "app_label.Model"; a model that is not installed yet is skipped.
# Every model with ``history`` whose queryset has ``restrict`` (tests/security/test_audit_trail.py
# checks that none is forgotten). Decisions keep their own append-only timeline (DecisionEvent);
# KPI co-owners (KPIOwnership) keep history and show through their KPI's owners.
AUDITED_MODELS = {
    "org-unit": "governance.OrgUnit",
    "function": "governance.Function",
    "assignment": "governance.Assignment",
    "user": "governance.User",
    "partner": "partners.Partner",
    "partnership": "partners.Partnership",
    "maturity-assessment": "partners.MaturityAssessment",
    "business-review": "partners.BusinessReview",
    "review-action": "partners.ReviewAction",
    "enablement-item": "partners.EnablementItem",
    "decision-type": "decisions.DecisionType",
    "matrix-version": "decisions.MatrixVersion",
    "holiday": "decisions.Holiday",
    "forum": "decisions.Forum",
    "forum-meeting": "decisions.ForumMeetingException",
    "kpi": "kpis.KPI",
    "target": "kpis.Target",
    "measurement": "kpis.Measurement",
    "objective": "kpis.StrategicObjective",
}
# Models with history that have no per-object page (see above).
AUDITED_ELSEWHERE = {"kpis.KPIOwnership",
                     # pauses show in their decision's timeline; pause reasons under their decision type (admin)
                     "decisions.DecisionPause", "decisions.PauseRule",
                     # target proposals show their steps; commitments keep their history in the admin
                     "kpis.TargetProposal", "partners.Commitment"}

AUDIT_ROLES = {Role.ADMIN, Role.LEADER}


@dataclass
class Change:
    field: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    when: object
    who: str
    kind: str  # created / changed / deleted
    changes: list[Change]
    reason: str


def audited_model(slug: str) -> type[models.Model]:
    label = AUDITED_MODELS.get(slug)
    if label is None:
        raise Http404
    try:
        return apps.get_model(label)
    except LookupError as exc:
        raise Http404 from exc


def can_view_history(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_admin or user.role in AUDIT_ROLES))


def object_history(*, user, slug: str, pk: int, limit: int = 100) -> tuple[models.Model, list[HistoryEntry]]:
    """The object's history, newest first, if ``user`` may audit it; otherwise ``Http404``."""
    if not can_view_history(user):
        raise Http404
    model = audited_model(slug)
    obj = model.objects.restrict(user, "view").filter(pk=pk).first()
    if obj is None:
        raise Http404
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = [Change(_verbose(model, c.field), c.old, c.new) for c in delta.changes]
        entries.append(HistoryEntry(
            when=record.history_date,
            who=record.history_user.get_username() if record.history_user else "system",
            kind={"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
            changes=changes,
            reason=record.history_change_reason or "",
        ))
    return obj, entries


def _verbose(model, field_name: str) -> str:
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except FieldDoesNotExist:
        return field_name
