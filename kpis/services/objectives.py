"""Writes to the objectives cascade (Hoshin Kanri, issue 19): global objectives refined by region,
cluster, market and partnership objectives, each with the KPIs that measure it.

Rules, checked here once for the API and the Manage screens (inside the transaction):

* top-level objectives (no parent) are admins'; leaders and managers add children to objectives
  they can view, at org units in their subtrees or for partnerships they may change (every unit
  of the partnership in their scope) — otherwise 403, nothing written;
* a child lies within its parent: its org unit in the parent unit's subtree (the unit itself
  included), a partnership whose every org unit is there; a partnership objective's children
  belong to the same partnership; no cycles — otherwise 400 with the reason, nothing written;
* an objective with children is not deleted (delete or move them first).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance.archive import refuse_archived
from governance.models import OrgUnit, User
from governance.querysets import CHANGE, DELETE, LOG, VIEW, can
from kpis.models import KPI, StrategicObjective
from partners.models import Partnership

FIELDS = ("code", "title", "description", "order", "parent", "org_unit", "partnership")


def _in_subtree(top: OrgUnit, unit: OrgUnit) -> bool:
    return OrgUnit.objects.subtree_of(top).filter(pk=unit.pk).exists()


def _partnership_within(top: OrgUnit, partnership: Partnership) -> bool:
    below = OrgUnit.objects.subtree_of(top).values("pk")
    units = partnership.org_units.all()
    return units.exists() and not units.exclude(pk__in=below).exists()


def placement_problem(parent: StrategicObjective, *, org_unit: OrgUnit | None,
                      partnership: Partnership | None) -> str | None:
    """Why an objective at ``org_unit`` / ``partnership`` cannot refine ``parent`` (None: it can)."""
    if parent.partnership_id is not None:
        if partnership is None or partnership.pk != parent.partnership_id:
            return (f"“{parent.title}” is an objective of the partnership {parent.partnership.name}; "
                    "its children belong to the same partnership.")
        return None
    if parent.org_unit_id is None:  # a global objective without a unit: everything lies within it
        return None
    top = parent.org_unit
    if org_unit is not None and not _in_subtree(top, org_unit):
        return f"{org_unit.name} is not within {top.name}, the org unit of the parent objective “{parent.title}”."
    if partnership is not None and not _partnership_within(top, partnership):
        return (f"The partnership {partnership.name} works outside {top.name}, the org unit of the parent "
                f"objective “{parent.title}”.")
    return None


def _check_actor(actor: User, objective: StrategicObjective, *, creating: bool) -> None:
    if actor.is_admin:
        return
    if actor.is_partner or not actor.is_active:
        raise PermissionDenied("Your role may not make this change.")
    if not creating and not can(actor, CHANGE, objective):
        raise PermissionDenied("You may not change this objective.")
    if objective.parent_id is None:
        raise PermissionDenied("Top-level objectives are set by admins: choose the parent objective this one "
                               "refines.")
    if not can(actor, VIEW, objective.parent):
        raise ValidationError({"parent": "Object does not exist."})
    if objective.org_unit_id is not None and not can(actor, LOG, objective.org_unit):
        raise PermissionDenied("org_unit: you may only place objectives at org units inside your scope.")
    if objective.partnership_id is not None and not can(actor, CHANGE, objective.partnership):
        raise PermissionDenied("partnership: only those who may change the partnership (every one of its org "
                               "units in their scope) set its objectives.")


@transaction.atomic
def objective_save(*, objective: StrategicObjective | None = None, kpis: Iterable[KPI] | None = None,
                   actor: User | None = None, **fields) -> StrategicObjective:
    """Create or change an objective of the cascade and the KPIs that measure it. ``actor`` is the
    person writing (API, Manage); None only for trusted callers (demo data, tests' fixtures)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown objective fields: {', '.join(sorted(unknown))}")
    creating = objective is None or objective.pk is None
    objective = objective or StrategicObjective()
    if not creating:
        objective = StrategicObjective.objects.select_for_update().get(pk=objective.pk)
        if "code" in fields and (error := objective.code_change_error(fields["code"])):
            raise ValidationError({"code": error})
    if actor is not None and not creating:
        _check_actor(actor, objective, creating=False)  # may they touch it as it is now?
    before = (objective.org_unit_id, objective.partnership_id)
    for name, value in fields.items():
        setattr(objective, name, value)
    if "org_unit" in fields and fields["org_unit"] is not None and "partnership" not in fields:
        objective.partnership = None  # moving to a unit leaves the partnership
    if "partnership" in fields and fields["partnership"] is not None and "org_unit" not in fields:
        objective.org_unit = None
    if objective.org_unit_id is not None and objective.partnership_id is not None:
        raise ValidationError({"partnership": "An objective is for an org unit or for a partnership, not both."})
    refuse_archived("org_unit", [objective.org_unit], keep=[before[0]] if before[0] else [])
    refuse_archived("partnership", [objective.partnership], keep=[before[1]] if before[1] else [])
    if actor is not None:
        _check_actor(actor, objective, creating=creating)
    if objective.parent_id is not None:
        if objective.org_unit_id is None and objective.partnership_id is None:
            raise ValidationError({"org_unit": "Choose the org unit or the partnership this objective is for."})
        if not creating:
            node: StrategicObjective | None = objective.parent
            while node is not None:
                if node.pk == objective.pk:
                    raise ValidationError({"parent": "An objective cannot refine itself or one of its own children."})
                node = node.parent
        problem = placement_problem(objective.parent, org_unit=objective.org_unit, partnership=objective.partnership)
        if problem:
            raise ValidationError({"org_unit" if objective.org_unit_id else "partnership": problem})
    objective.full_clean()
    objective.save()
    if not creating and (objective.org_unit_id, objective.partnership_id) != before:
        for child in objective.children.select_related("org_unit", "partnership"):
            problem = placement_problem(objective, org_unit=child.org_unit, partnership=child.partnership)
            if problem:
                raise ValidationError({"org_unit": f"Its child objective “{child.title}” would no longer fit: "
                                                   f"{problem}"})
    if kpis is not None:
        objective.kpis.set(list(kpis))
    return objective


@transaction.atomic
def objective_delete(*, actor: User, objective: StrategicObjective) -> None:
    """Delete an objective without children (its history stays)."""
    if not can(actor, DELETE, objective):
        raise PermissionDenied("You may not delete this objective.")
    if objective.children.exists():
        raise ValidationError({"parent": "This objective has child objectives: delete or move them first."})
    objective.delete()
