"""The shared scoping mechanism: every view and API reaches data through ``visible_to(user)``.

Scope comes from the user's role:

* admin — everything;
* leader / manager — rows placed in the subtrees of the org units they hold an ``Assignment`` at;
* partner — only rows tied to the partnerships they are a member of (nothing else, ever).

A model opts in by giving its manager a ``ScopedQuerySet`` subclass and naming the field path
to its org unit and/or partnership. Anything not returned by ``visible_to`` answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from governance.models import User


# Replaced (never mutated) by every Assignment save or delete in this process (see
# ``assignments_changed``); a user's cached assignment units are used only while it is unchanged.
_assignments_epoch = object()


def assignments_changed(**kwargs) -> None:
    """Signal receiver (``post_save`` / ``post_delete`` of ``Assignment``): forget every user
    object's cached assignment units, whichever object of which user the write went through."""
    global _assignments_epoch
    _assignments_epoch = object()


def assignment_unit_ids(user: User) -> list[int]:
    """The ids of the org units ``user`` holds an assignment at, read once per user object.

    Cached on the object (``user._scope_unit_ids``): ``request.user`` is one object per request, so
    this costs one small query per request, not one per scoped queryset. An ``Assignment`` saved or
    deleted through the ORM anywhere in this process invalidates every cached copy. Writes that
    send no signals (``bulk_create``, ``QuerySet.update``, raw SQL) or come from another process
    are seen by the next user object, i.e. the next request."""
    from governance.models import Assignment

    epoch = _assignments_epoch
    cached = getattr(user, "_scope_unit_ids", None)
    if cached is not None and cached[0] is epoch:
        return cached[1]
    ids = sorted(set(Assignment.objects.filter(user=user).values_list("org_unit_id", flat=True)))
    user._scope_unit_ids = (epoch, ids)
    return ids


def visible_org_unit_ids(user: User) -> models.QuerySet:
    """Subquery of the ids of every org unit in ``user``'s scope (one indexed closure-table query).

    Leaders and managers: the closure rows below their assignment units, filtered by those unit
    ids as constants (``assignment_unit_ids``: one extra small query per user object) rather than
    by a join through ``Assignment``. Through the join PostgreSQL cannot know how big the subtree
    is and estimates a handful of units whatever it is; for a global leader (500 units) it then
    reads every scoped row through nested loops and sorts them (the decision list's page query at
    100k decisions: ~460 ms). With constants it uses the closure's statistics for those ancestors,
    plans for the real subtree size and walks the newest decisions instead (~10 ms)."""
    from governance.models import OrgUnitClosure

    closure = OrgUnitClosure.objects.all()
    if not is_active_user(user):
        return closure.none().values("descendant_id")
    if user.is_admin:
        return closure.filter(depth=0).values("descendant_id")
    if user.is_partner:
        return closure.filter(ancestor__partnerships__members=user).values("descendant_id")
    unit_ids = assignment_unit_ids(user)
    if not unit_ids:
        # Nothing in scope; still a real (empty) subquery, so callers that render the SQL of a
        # scoped queryset get SQL rather than EmptyResultSet.
        return closure.filter(ancestor__assignments__user=user).values("descendant_id")
    return closure.filter(ancestor_id__in=unit_ids).values("descendant_id")


def member_partnership_ids(user: User) -> models.QuerySet:
    """Subquery of the ids of the partnerships ``user`` belongs to (partner users)."""
    from partners.models import Partnership

    return Partnership.objects.filter(members=user).values("pk")


def is_active_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a user may see.

    Subclasses set ``scope_org_unit_field`` (path to an ``OrgUnit``; ``None`` for reference data
    every internal user may read) and ``scope_partnership_field`` (path to a ``Partnership``;
    ``None`` means partner users see none of these rows).
    """

    scope_org_unit_field: str | None = "org_unit"
    scope_partnership_field: str | None = None

    def visible_to(self, user: User) -> ScopedQuerySet:
        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        if user.is_partner:
            if self.scope_partnership_field is None:
                return self.none()
            return self.filter(**{f"{self.scope_partnership_field}__in": member_partnership_ids(user)})
        if self.scope_org_unit_field is None:
            return self
        return self.filter(**{f"{self.scope_org_unit_field}__in": visible_org_unit_ids(user)})


class OrgUnitQuerySet(ScopedQuerySet):
    scope_org_unit_field = "pk"

    def visible_to(self, user: User) -> OrgUnitQuerySet:
        """Org units in the user's subtrees; partner users see their partnerships' org units."""
        if not is_active_user(user):
            return self.none()
        if user.is_admin:
            return self
        return self.filter(pk__in=visible_org_unit_ids(user))

    def subtree_of(self, unit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """Every unit under ``unit`` in one indexed query (closure table)."""
        qs = self.filter(ancestor_links__ancestor=unit)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def ancestors_of(self, unit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """``unit``'s chain up to Global, nearest first."""
        qs = self.filter(descendant_links__descendant=unit).order_by("descendant_links__depth")
        return qs if include_self else qs.exclude(pk=unit.pk)
