"""Who sees which partners, partnerships and their children.

* admins: everything;
* leaders / managers: partnerships with an org unit in their scope, plus partnerships shared
  with them one by one through django-guardian (``view_partnership`` on the direct-FK tables);
* partner users: the partnerships they are members of — a guardian grant never widens this.

Children (assessments, reviews, actions) are scoped through their partnership.
"""

from __future__ import annotations

from django.db import models

from governance.querysets import ScopedQuerySet, is_active_user, member_partnership_ids, visible_org_unit_ids

VIEW_PERMISSION = "view_partnership"


def _shared_partnerships(user) -> models.Q:
    """Partnerships shared with ``user`` directly or through one of their groups.

    Only object-level rows count (``accept_global_perms=False``): a global ``view_partnership``
    permission grants nothing here.
    """
    from partners.models import PartnershipGroupObjectPermission, PartnershipUserObjectPermission

    direct = PartnershipUserObjectPermission.objects.filter(
        user=user, permission__codename=VIEW_PERMISSION
    ).values("content_object_id")
    via_group = PartnershipGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=VIEW_PERMISSION
    ).values("content_object_id")
    return models.Q(pk__in=direct) | models.Q(pk__in=via_group)


def _in_scope_partnership_ids(user) -> models.QuerySet:
    from partners.models import Partnership

    return Partnership.org_units.through.objects.filter(
        orgunit_id__in=visible_org_unit_ids(user)
    ).values("partnership_id")


class PartnershipQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> PartnershipQuerySet:
        """Partner users: their own partnerships only. Internal users: partnerships with an org
        unit in their scope, or shared with them through guardian."""
        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        if user.is_partner:
            return self.filter(pk__in=member_partnership_ids(user))
        return self.filter(models.Q(pk__in=_in_scope_partnership_ids(user)) | _shared_partnerships(user))

    def editable_by(self, user) -> PartnershipQuerySet:
        """Partnerships ``user`` may change: admins all; leaders and managers those in their org
        scope (a guardian share is read-only); partner users none."""
        if not is_active_user(user) or user.is_partner:
            return self.none()
        if user.is_admin:
            return self
        return self.filter(pk__in=_in_scope_partnership_ids(user))


class PartnerQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> PartnerQuerySet:
        """Partners with a partnership the user can see, or covering an org unit in their scope."""
        from partners.models import Partnership

        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        visible_partnerships = Partnership.objects.visible_to(user).values("partner_id")
        if user.is_partner:
            return self.filter(pk__in=visible_partnerships)
        covering = self.model.org_units.through.objects.filter(
            orgunit_id__in=visible_org_unit_ids(user)
        ).values("partner_id")
        return self.filter(models.Q(pk__in=visible_partnerships) | models.Q(pk__in=covering))


    def editable_by(self, user) -> PartnerQuerySet:
        """Partners ``user`` may change: admins all; leaders and managers those covering an org unit
        in their scope or with a partnership they may edit (a guardian share is read-only)."""
        from partners.models import Partnership

        if not is_active_user(user) or user.is_partner:
            return self.none()
        if user.is_admin:
            return self
        covering = self.model.org_units.through.objects.filter(
            orgunit_id__in=visible_org_unit_ids(user)
        ).values("partner_id")
        editable = Partnership.objects.editable_by(user).values("partner_id")
        return self.filter(models.Q(pk__in=covering) | models.Q(pk__in=editable))


class PartnershipChildQuerySet(ScopedQuerySet):
    """Rows that belong to a partnership: visible exactly when their partnership is."""

    partnership_path = "partnership"

    def visible_to(self, user):
        from partners.models import Partnership

        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        return self.filter(**{f"{self.partnership_path}__in": Partnership.objects.visible_to(user).values("pk")})


class ReviewActionQuerySet(PartnershipChildQuerySet):
    def open(self):
        return self.filter(status="open")

    def overdue(self, today):
        """Open actions past their due date (the partial index ``reviewaction_open_due`` serves it)."""
        return self.filter(status="open", due_date__lt=today)
