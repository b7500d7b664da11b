"""Who may do what to partners, partnerships and their children (``restrict(user, action)``).

| action | leaders / managers | partner users |
|---|---|---|
| Partnership view | a unit in their scope, or shared with them (guardian ``view_partnership``) | their own |
| Partnership log | a unit in their scope (a share is read-only) | their own |
| Partnership change, delete | **every** unit in their scope | — |
| Partner view | covering a unit in their scope, or with a partnership they can view | their partnerships' partner |
| Partner change, delete | viewable, and every unit it covers and every unit of its partnerships in scope | — |
| assessment / review / action view | their partnership is viewable | their partnership's |
| review change, delete; action delete | their partnership may be logged against | — |
| action change | partnership may be logged against, or their own action (status only) | their own actions |
| assessment change | internal side, partnership may be logged against | partner side of their own |

Admins may do everything. A guardian grant never widens a partner user's scope (they see their
own partnerships only), and only object-level rows count (``accept_global_perms=False``).
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from governance.querysets import (
    CHANGE,
    DELETE,
    LOG,
    VIEW,
    ScopedQuerySet,
    member_partnership_ids,
    visible_org_unit_ids,
)
from partners.choices import AssessmentSide

VIEW_PERMISSION = "view_partnership"


def _model(name: str) -> type[models.Model]:
    """A partners model by name. ``partners.models`` imports this module to build its managers, so
    the querysets look models up in the app registry (at query time) rather than importing them."""
    return apps.get_model("partners", name)


def _shared_partnerships(user) -> models.Q:
    """Partnerships shared with ``user`` directly or through one of their groups (object-level rows only)."""
    direct = _model("PartnershipUserObjectPermission").objects.filter(
        user=user, permission__codename=VIEW_PERMISSION
    ).values("content_object_id")
    via_group = _model("PartnershipGroupObjectPermission").objects.filter(
        group__user=user, permission__codename=VIEW_PERMISSION
    ).values("content_object_id")
    return models.Q(pk__in=direct) | models.Q(pk__in=via_group)


def people_of_visible_partnerships(user) -> models.Q:
    """The users (a ``Q`` on ``User``) a leader or manager sees through partnerships: the members of
    the partnerships they can view and the people those partnerships are shared with. Registered
    with ``UserQuerySet.see_people_through`` in ``PartnersConfig.ready()``."""
    partnership = _model("Partnership")
    partnerships = partnership.objects.restrict(user, VIEW).values("pk")
    members = partnership.members.through.objects.filter(partnership_id__in=partnerships).values("user_id")
    shares = _model("PartnershipUserObjectPermission").objects
    shared = shares.filter(content_object_id__in=partnerships).values("user_id")
    return models.Q(pk__in=members) | models.Q(pk__in=shared)


def _units_in_scope(user, *, every: bool) -> models.Q:
    """Partnerships with a unit in ``user``'s scope; with ``every``, with no unit outside it."""
    through = _model("Partnership").org_units.through.objects
    units = visible_org_unit_ids(user)
    some = models.Q(pk__in=through.filter(orgunit_id__in=units).values("partnership_id"))
    if not every:
        return some
    return some & ~models.Q(pk__in=through.exclude(orgunit_id__in=units).values("partnership_id"))


class PartnershipQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, DELETE, LOG)

    def _restrict_view(self, user) -> PartnershipQuerySet:
        if user.is_partner:
            return self.filter(pk__in=member_partnership_ids(user))
        return self.filter(_units_in_scope(user, every=False) | _shared_partnerships(user))

    def _restrict_log(self, user) -> PartnershipQuerySet:
        if user.is_partner:
            return self.filter(pk__in=member_partnership_ids(user))
        return self.filter(_units_in_scope(user, every=False))

    def _restrict_change(self, user) -> PartnershipQuerySet:
        if user.is_partner:
            return self.none()
        return self.filter(_units_in_scope(user, every=True))

    _restrict_delete = _restrict_change

    def active(self) -> PartnershipQuerySet:
        """Not archived: the partnerships offered for new records."""
        return self.filter(archived_at__isnull=True)


class PartnerQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, DELETE)

    def _covering(self, units) -> models.QuerySet:
        return self.model.org_units.through.objects.filter(orgunit_id__in=units).values("partner_id")

    def _restrict_view(self, user) -> PartnerQuerySet:
        visible_partnerships = _model("Partnership").objects.restrict(user, VIEW).values("partner_id")
        if user.is_partner:
            return self.filter(pk__in=visible_partnerships)
        return self.filter(models.Q(pk__in=visible_partnerships)
                           | models.Q(pk__in=self._covering(visible_org_unit_ids(user))))

    def _restrict_change(self, user) -> PartnerQuerySet:
        if user.is_partner:
            return self.none()
        units = visible_org_unit_ids(user)
        covers_outside = self.model.org_units.through.objects.exclude(orgunit_id__in=units).values("partner_id")
        partnerships = _model("Partnership").objects
        partnership_outside = partnerships.exclude(_units_in_scope(user, every=True)).values("partner_id")
        return self._restrict_view(user).exclude(pk__in=covers_outside).exclude(pk__in=partnership_outside)

    _restrict_delete = _restrict_change

    def active(self) -> PartnerQuerySet:
        """Not archived: the partners offered for new partnerships."""
        return self.filter(archived_at__isnull=True)


def _partnerships(user, action: str) -> models.QuerySet:
    return _model("Partnership").objects.restrict(user, action).values("pk")


class PartnershipChildQuerySet(ScopedQuerySet):
    """Rows that belong to a partnership: viewable exactly when their partnership is; changed and
    deleted by those who may log against it (partner users: none)."""

    actions = (VIEW, CHANGE, DELETE)
    partnership_path = "partnership"

    def _through(self, user, action: str):
        return self.filter(**{f"{self.partnership_path}__in": _partnerships(user, action)})

    def _restrict_view(self, user):
        return self._through(user, VIEW)

    def _restrict_change(self, user):
        return self.none() if user.is_partner else self._through(user, LOG)

    _restrict_delete = _restrict_change


class MaturityAssessmentQuerySet(PartnershipChildQuerySet):
    """Each side changes its own view: internal users the internal side of partnerships they may
    log against, partner users the partner side of their own. Only admins delete."""

    def _restrict_change(self, user):
        if user.is_partner:
            return self._through(user, LOG).filter(side=AssessmentSide.PARTNER)
        return self._through(user, LOG).filter(side=AssessmentSide.INTERNAL)

    _restrict_delete = ScopedQuerySet._nobody


class OwnedPartnershipChildQuerySet(PartnershipChildQuerySet):
    """A partnership's row with an owner (review actions, enablement items): changed by those who may
    log against the partnership and by its owner (who may only change its status: the services
    enforce the field rule); deleted by internal users who may log against it."""

    def _restrict_change(self, user):
        visible = self._through(user, VIEW)
        if user.is_partner:
            return visible.filter(owner=user)
        return visible.filter(models.Q(owner=user) | models.Q(partnership__in=_partnerships(user, LOG)))

    def _restrict_delete(self, user):
        return self.none() if user.is_partner else self._through(user, LOG)


class EnablementItemQuerySet(OwnedPartnershipChildQuerySet):
    """Enablement items: viewed with their partnership; ``change`` (mark done or reopen) by their owner
    and by those who may log against the partnership; ``delete`` — archive, restore and edit the
    item's fields (``partners.enablement.services``) — by internal users who may change the
    partnership (every one of its units in scope). Never deleted through the app."""

    actions = (VIEW, CHANGE, DELETE)

    def _restrict_view(self, user):
        # An archived item was dropped from the plan by our side: internal users keep it (restore,
        # history); partner users no longer see it anywhere (page, API list or detail: 404).
        visible = super()._restrict_view(user)
        return visible.filter(archived_at__isnull=True) if user.is_partner else visible

    def _restrict_change(self, user):
        changeable = super()._restrict_change(user)
        return changeable.filter(archived_at__isnull=True) if user.is_partner else changeable

    def _restrict_delete(self, user):
        return self.none() if user.is_partner else self._through(user, CHANGE)

    def active(self):
        return self.filter(archived_at__isnull=True)


class ReviewActionQuerySet(OwnedPartnershipChildQuerySet):

    def open(self):
        return self.filter(status="open")

    def overdue(self, today):
        """Open actions past their due date (the partial index ``reviewaction_open_due`` serves it)."""
        return self.filter(status="open", due_date__lt=today)
