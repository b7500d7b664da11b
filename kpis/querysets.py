"""Who may do what to KPIs, their co-owners, targets, actuals and scorecard cells.

KPI definitions and targets are written by admins only; objectives of the cascade also by leaders
and managers in scope (``ObjectiveQuerySet``). Internal users view every KPI (reference data), the
objectives of their line and scope, and the targets, measurements and cells of their scope;
partner users view the KPIs their partnerships co-own and their partnerships' rows, nothing else.
Measurements are not changed in place: a correction is a new ``log`` (see ``OrgUnit``/``Partnership``
``"log"``) of the same key.

``kpis.models`` imports this module, so the KPI and partnership models are reached through the
relations (``ScopedQuerySet.related_model``), never imported.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Count

from governance.models import OrgUnitClosure
from governance.querysets import (
    CHANGE,
    DELETE,
    VIEW,
    ScopedQuerySet,
    assignment_unit_ids,
    is_active_user,
    member_partnership_ids,
    visible_org_unit_ids,
)


class KPIQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, DELETE)

    def _restrict_view(self, user) -> KPIQuerySet:
        if user.is_partner:
            return self.filter(pk__in=self.model.ownerships.rel.related_model.objects.filter(
                partnership__in=member_partnership_ids(user)).values("kpi_id"))
        return self.all()

    _restrict_change = ScopedQuerySet._nobody
    _restrict_delete = ScopedQuerySet._nobody

    def shared(self) -> KPIQuerySet:
        """KPIs with two or more co-owners."""
        return self.annotate(owner_count=Count("ownerships")).filter(owner_count__gte=2)


class KPIOwnershipQuerySet(ScopedQuerySet):
    """A KPI's co-owners as the viewer may see them: function owners, and partnership owners only
    for partnerships the viewer can view — a KPI never reveals another partnership's id."""

    def _restrict_view(self, user) -> KPIOwnershipQuerySet:
        kpi, partnership = self.related_model("kpi"), self.related_model("partnership")
        return self.filter(kpi__in=kpi.objects.restrict(user, VIEW).values("pk")).filter(
            models.Q(partnership__isnull=True)
            | models.Q(partnership__in=partnership.objects.restrict(user, VIEW).values("pk")))


class TargetQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, DELETE)
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"
    _restrict_change = ScopedQuerySet._nobody
    _restrict_delete = ScopedQuerySet._nobody


class MeasurementQuerySet(ScopedQuerySet):
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"


class CellQuerySet(ScopedQuerySet):
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"


class ObjectiveQuerySet(ScopedQuerySet):
    """Objectives of the cascade. Internal users view global ones (no unit, no partnership), those at
    units in their line (above their assignments: what cascades down to them) or in their subtrees,
    and those of partnerships they can view. Leaders and managers change and delete the non-top-level
    objectives at units in their subtrees and of partnerships they may change (every unit in scope);
    top-level objectives are admins'. Partner users see none: objectives have no sharing flag
    (docs/security.md)."""

    actions = (VIEW, CHANGE, DELETE)

    def _restrict_view(self, user) -> ObjectiveQuerySet:
        if user.is_partner:
            return self.none()
        partnership = self.related_model("partnership")
        above = OrgUnitClosure.objects.filter(descendant_id__in=assignment_unit_ids(user)).values("ancestor_id")
        return self.filter(
            models.Q(partnership__isnull=True, org_unit__isnull=True)
            | models.Q(org_unit__in=above) | models.Q(org_unit__in=visible_org_unit_ids(user))
            | models.Q(partnership__in=partnership.objects.restrict(user, VIEW).values("pk")))

    def _restrict_change(self, user) -> ObjectiveQuerySet:
        if user.is_partner:
            return self.none()
        return self.filter(parent__isnull=False).filter(
            models.Q(org_unit__in=visible_org_unit_ids(user))
            | models.Q(partnership__in=self.related_model("partnership").objects.restrict(user, CHANGE).values("pk")))

    _restrict_delete = _restrict_change


class ImportJobQuerySet(ScopedQuerySet):
    """An import job is its uploader's alone, whatever their role (admins included): the row holds
    the uploaded file, and what it changed is in the measurements' history for everyone in scope."""

    def restrict(self, user, action: str = VIEW) -> ImportJobQuerySet:
        qs = super().restrict(user, action)
        if is_active_user(user) and user.is_admin:
            qs = qs.filter(requested_by=user)
        return qs

    def _restrict_view(self, user) -> ImportJobQuerySet:
        return self.filter(requested_by=user)
