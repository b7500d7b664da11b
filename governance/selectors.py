"""Reads for the organisation pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from governance.models import Assignment, OrgUnit, User


@dataclass
class OrgNode:
    unit: OrgUnit
    assignments: list[Assignment] = field(default_factory=list)
    children: list[OrgNode] = field(default_factory=list)


def org_tree_for(user: User) -> list[OrgNode]:
    """The part of the org tree ``user`` may see, with who holds which function where.

    Two queries whatever the tree's size: the visible units and their assignments.
    """
    units = list(OrgUnit.objects.restrict(user, "view").order_by("code"))
    nodes = {u.pk: OrgNode(unit=u) for u in units}
    assignments = (
        Assignment.objects.restrict(user, "view").filter(org_unit__in=[u.pk for u in units])
        .select_related("user", "function")
        .order_by("function__code", "user__last_name", "user__username")
    )
    for assignment in assignments:
        nodes[assignment.org_unit_id].assignments.append(assignment)
    roots = []
    for unit in units:
        node = nodes[unit.pk]
        parent = nodes.get(unit.parent_id)
        (parent.children if parent else roots).append(node)
    return roots
