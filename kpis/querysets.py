"""Scoping for the KPI models: what each user may see (anything else answers 404)."""

from __future__ import annotations

from governance.querysets import ScopedQuerySet, is_active_user, member_partnership_ids


class KPIQuerySet(ScopedQuerySet):
    """KPI definitions are reference data for internal users; partner users see the KPIs their
    partnerships co-own."""

    def visible_to(self, user) -> KPIQuerySet:
        if not is_active_user(user):
            return self.none()
        if user.is_partner:
            return self.filter(pk__in=self.model.ownerships.rel.related_model.objects.filter(
                partnership__in=member_partnership_ids(user)).values("kpi_id"))
        return self

    def shared(self) -> KPIQuerySet:
        """KPIs with two or more co-owners."""
        from django.db.models import Count

        return self.annotate(owner_count=Count("ownerships")).filter(owner_count__gte=2)


class TargetQuerySet(ScopedQuerySet):
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"


class MeasurementQuerySet(ScopedQuerySet):
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"


class CellQuerySet(ScopedQuerySet):
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"


class ObjectiveQuerySet(ScopedQuerySet):
    """Strategic objectives are global: every internal user reads them; partner users do not."""

    def visible_to(self, user) -> ObjectiveQuerySet:
        if not is_active_user(user) or user.is_partner:
            return self.none()
        return self
