"""Who takes part in a decision: the matrix version in force + the assignments at the deciding
unit (the ancestor of the chosen org unit at the type's ``decided_at_level``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError

from decisions.models import DecisionType, Holiday, MatrixCell, MatrixVersion, RapidRole
from governance.models import LEVEL_DEPTH, Assignment, Function, OrgLevel, OrgUnit, User

ROLE_ORDER = {"D": 0, "A": 1, "R": 2, "I": 3, "P": 4}


@dataclass
class Seat:
    user: User | None
    function: Function
    role: str
    org_unit: OrgUnit


@dataclass
class Routing:
    version: MatrixVersion
    deciding_unit: OrgUnit
    seats: list[Seat] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    @property
    def decider(self) -> Seat:
        return next(s for s in self.seats if s.role == RapidRole.DECIDE and s.user is not None)

    def by_role(self, role: str) -> list[Seat]:
        return [s for s in self.seats if s.role == role]


def deciding_unit_for(decision_type: DecisionType, org_unit: OrgUnit) -> OrgUnit:
    """The ancestor of ``org_unit`` (itself included) at the type's deciding level, via the closure table."""
    if LEVEL_DEPTH[OrgLevel(org_unit.level)] < LEVEL_DEPTH[OrgLevel(decision_type.decided_at_level)]:
        raise ValidationError({"org_unit": (
            f"“{decision_type.name}” is decided at {decision_type.get_decided_at_level_display().lower()} level; "
            f"choose an org unit at or below that level "
            f"(not the {org_unit.get_level_display().lower()} {org_unit.code}).")})
    return OrgUnit.objects.ancestors_of(org_unit).get(level=decision_type.decided_at_level)


def resolve(*, decision_type: DecisionType, org_unit: OrgUnit, at: datetime, strict: bool = True) -> Routing:
    """Resolve participants. ``strict``: raise a ValidationError when nobody can decide (no D in the
    matrix, or no holder of the D or an A function at the deciding unit) — never silently nobody."""
    version = MatrixVersion.objects.in_force(at)
    if version is None:
        raise ValidationError({"decision_type": "No decision-rights matrix has been published yet."})
    unit = deciding_unit_for(decision_type, org_unit)
    cells = list(MatrixCell.objects.filter(version=version, decision_type=decision_type).select_related("function"))
    holders: dict[int, list[User]] = {}
    for a in (Assignment.objects.filter(org_unit=unit, function__in=[c.function_id for c in cells])
              .select_related("user").order_by("pk")):
        if a.user.is_active:
            holders.setdefault(a.function_id, []).append(a.user)
    routing = Routing(version=version, deciding_unit=unit)
    for cell in sorted(cells, key=lambda c: (ROLE_ORDER[c.role], c.function.code)):
        people = holders.get(cell.function_id, [])
        if not people:
            routing.seats.append(Seat(None, cell.function, cell.role, unit))
            routing.gaps.append(f"Nobody holds {cell.function.name} at {unit.name} ({cell.get_role_display()}).")
            continue
        if cell.role == RapidRole.DECIDE:
            people = people[:1]  # one decider: the longest-standing holder
        routing.seats.extend(Seat(u, cell.function, cell.role, unit) for u in people)
    if strict:
        _require_decider(routing, decision_type, cells)
    return routing


def _require_decider(routing: Routing, decision_type: DecisionType, cells: list[MatrixCell]) -> None:
    deciders = [c for c in cells if c.role == RapidRole.DECIDE]
    if len(deciders) != 1:
        raise ValidationError({"decision_type": (
            f"The decision-rights matrix v{routing.version.number} has {len(deciders)} deciders for "
            f"“{decision_type.name}”; it needs exactly one. Ask an admin to fix the matrix.")})
    missing = [s for s in routing.seats if s.user is None and s.role in (RapidRole.DECIDE, RapidRole.AGREE)]
    if missing:
        names = ", ".join(f"{s.function.name} ({s.role})" for s in missing)
        raise ValidationError({"org_unit": (
            f"No decider for “{decision_type.name}” at {routing.deciding_unit.name}: nobody holds {names} there. "
            "Ask an admin to assign a holder.")})


def holidays_for(unit: OrgUnit) -> set[date]:
    """Holidays of ``unit`` and its ancestors (a global holiday closes every market)."""
    return set(Holiday.objects.filter(org_unit__in=OrgUnit.objects.ancestors_of(unit).values("pk"))
               .values_list("date", flat=True))
