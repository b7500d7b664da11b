"""Who sits on which side of a target proposal — the one owner of that rule.

* **Parent** (proposes, then accepts or revises a counter): for an org unit's target, internal users
  whose scope holds the unit's *parent* (they sit above it; admins always); for a partnership's
  target, internal users who may log against both the partnership and its org unit (the company's
  side of the relationship).
* **Child** (accepts or counters): for an org unit, the internal users assigned *at* that unit who
  are not also above it; for a partnership, its partner users.

Nobody is on both sides, so nobody agrees with themselves. Being able to view a proposal (scope)
is not being on a side: a viewer on neither side may only read it.
"""

from __future__ import annotations

from governance.models import Role, User
from governance.querysets import LOG, assignment_unit_ids, can
from kpis.catchball.models import Side

PARENT, CHILD = Side.PARENT, Side.CHILD


def side_of(user, *, org_unit, partnership) -> str | None:
    """``"parent"``, ``"child"`` or ``None`` for ``user`` on the proposal key (org unit, partnership)."""
    if partnership is not None:
        if user.is_partner:
            return CHILD if _is_member(user, partnership) else None
        return PARENT if can(user, LOG, partnership) and can(user, LOG, org_unit) else None
    if user.is_partner:
        return None
    if user.is_admin or (org_unit.parent_id is not None and can(user, LOG, org_unit.parent)):
        return PARENT
    return CHILD if org_unit.pk in assignment_unit_ids(user) else None


def _is_member(user, partnership) -> bool:
    """Whether ``user`` is one of ``partnership``'s members: from its prefetched ``members`` when
    the caller loaded them (the partnership page does), else one query."""
    prefetched = getattr(partnership, "_prefetched_objects_cache", {}).get("members")
    if prefetched is not None:
        return any(member.pk == user.pk for member in prefetched)
    return partnership.members.filter(pk=user.pk).exists()


def child_side(*, org_unit, partnership) -> list:
    """The people who answer for the child (whom a proposal is sent to)."""
    if partnership is not None:
        return list(partnership.members.filter(is_active=True, role=Role.PARTNER))
    holders = User.objects.filter(is_active=True, assignments__org_unit=org_unit).distinct()
    return [u for u in holders if side_of(u, org_unit=org_unit, partnership=None) == CHILD]
