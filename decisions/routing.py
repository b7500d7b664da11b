"""Who takes part in a decision: the matrix version in force + who covers each function there.

**Coverage** (one rule, used by routing, the matrix lint and the escalation sweep): a function is
covered for an org unit by its *nearest holder up the tree* — the holders at the unit itself, else
at its parent, and so on up to Global. A DACH Compliance officer covers Germany and Austria unless a
market has a Compliance holder of its own. ``nearest_holders`` computes it for many (unit, function)
pairs in one query over the closure table.

Routing starts from the *level unit*: the ancestor of the chosen org unit at the type's
``decided_at_level``. The decision's deciding unit is where its decider actually holds the D
function (the level unit, or the ancestor whose holder covers it): escalation goes on from there.

**The partner** is the function with code ``PARTNER`` (``PARTNER_FUNCTION``). Nobody holds it by
assignment: its seats are the active partner users who are members of the decision's partnership
(all of them, like all holders of an internal function; one agreement answers for the partner).
It may agree, give input, recommend or perform, never decide (the matrix lint calls a partner D a
conflict). Without a partnership the partner takes no part — except that a type where the partner
must agree needs one (strict routing refuses to log without it). A decision the partner takes part
in is shared with them (``decisions/visibility.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F

from decisions.models import DecisionType, Holiday, MatrixCell, MatrixVersion, RapidRole
from governance.models import LEVEL_DEPTH, Assignment, Function, OrgLevel, OrgUnit, Role, User

if TYPE_CHECKING:
    from partners.models import Partnership

ROLE_ORDER = {"D": 0, "A": 1, "R": 2, "I": 3, "P": 4}
PARTNER_FUNCTION = "PARTNER"  # the matrix's name for the partner of the decision's partnership


def is_partner_function(function: Function) -> bool:
    return function.code == PARTNER_FUNCTION


@dataclass(frozen=True)
class Cover:
    """Who covers a function for a unit: the unit that holds it (the nearest in the chain) and its
    active holders there, longest-standing assignment first."""

    org_unit_id: int
    distance: int  # 0: the unit itself; 1: its parent; …
    user_ids: tuple[int, ...]


def _holder_links(units: set[int], functions: set[int], *, strictly_above: bool = False) -> Any:  # annotated
    """Assignments of active users to ``functions`` at ``units`` or above, one row per (assignment,
    asked unit below it) with ``below_id`` and ``distance``: the coverage rule's rows (one join to the
    closure table: the filter and both annotations use the same link row)."""
    links = Assignment.objects.filter(function_id__in=functions, user__is_active=True,
                                      org_unit__descendant_links__descendant_id__in=units)
    if strictly_above:
        links = links.filter(org_unit__descendant_links__depth__gt=0)
    return links.annotate(below_id=F("org_unit__descendant_links__descendant_id"),
                          distance=F("org_unit__descendant_links__depth"))


def nearest_holders(*, unit_ids: Iterable[int], function_ids: Iterable[int],
                    strictly_above: bool = False) -> dict[tuple[int, int], Cover]:
    """``{(unit id, function id): Cover}`` for every pair that somebody in the unit's chain covers
    (pairs nobody covers are absent). ``strictly_above``: ignore holders at the unit itself (the
    escalation sweep looks for the next holder above a deciding unit). One query: assignments of
    active users joined to the closure rows from their unit down to each asked unit."""
    units, functions = set(unit_ids), set(function_ids)
    if not units or not functions:
        return {}
    rows = (_holder_links(units, functions, strictly_above=strictly_above)
            .values_list("below_id", "function_id", "distance", "id", "user_id", "org_unit_id"))
    best: dict[tuple[int, int], tuple[int, int, list[tuple[int, int]]]] = {}
    for below, function, distance, pk, user_id, unit_id in rows:
        key = (below, function)
        held = best.get(key)
        if held is None or distance < held[0]:
            best[key] = (distance, unit_id, [(pk, user_id)])
        elif distance == held[0]:
            held[2].append((pk, user_id))
    return {key: Cover(org_unit_id=unit_id, distance=distance,
                       user_ids=tuple(dict.fromkeys(user for _, user in sorted(people))))
            for key, (distance, unit_id, people) in best.items()}


def covered_pairs(*, unit_ids: Iterable[int], function_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (unit id, function id) pairs somebody in the unit's chain covers: the keys of
    ``nearest_holders``, for a caller that asks only whether (the matrix lint), read as distinct
    pairs rather than every holder of every pair."""
    units, functions = set(unit_ids), set(function_ids)
    if not units or not functions:
        return set()
    return set(_holder_links(units, functions).order_by().values_list("below_id", "function_id").distinct())


@dataclass
class Seat:
    user: User | None
    function: Function
    role: str
    org_unit: OrgUnit  # where the user holds the function (the level unit when nobody does)


@dataclass
class Routing:
    version: MatrixVersion
    level_unit: OrgUnit  # the ancestor at the type's deciding level: coverage starts here
    seats: list[Seat] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    @property
    def decider(self) -> Seat:
        return next(s for s in self.seats if s.role == RapidRole.DECIDE and s.user is not None)

    @property
    def deciding_unit(self) -> OrgUnit:
        """Where the decider holds the D function (the level unit while nobody does)."""
        seat = next((s for s in self.seats if s.role == RapidRole.DECIDE and s.user is not None), None)
        return seat.org_unit if seat else self.level_unit

    def by_role(self, role: str) -> list[Seat]:
        return [s for s in self.seats if s.role == role]

    @property
    def partner_takes_part(self) -> bool:
        """The partner holds a seat (so the decision is shared with them)."""
        return any(s.user is not None and is_partner_function(s.function) for s in self.seats)


def deciding_unit_for(decision_type: DecisionType, org_unit: OrgUnit) -> OrgUnit:
    """The ancestor of ``org_unit`` (itself included) at the type's deciding level, via the closure table."""
    if LEVEL_DEPTH[OrgLevel(org_unit.level)] < LEVEL_DEPTH[OrgLevel(decision_type.decided_at_level)]:
        raise ValidationError({"org_unit": (
            f"“{decision_type.name}” is decided at {decision_type.get_decided_at_level_display().lower()} level; "
            f"choose an org unit at or below that level "
            f"(not the {org_unit.get_level_display().lower()} {org_unit.code}).")})
    return OrgUnit.objects.ancestors_of(org_unit).get(level=decision_type.decided_at_level)


def resolve(*, decision_type: DecisionType, org_unit: OrgUnit, at: datetime, partnership: Partnership | None = None,
            strict: bool = True) -> Routing:
    """Resolve participants: for each role of the type in the matrix version in force at ``at``, the
    holders covering its function for the level unit (``nearest_holders``); for the partner, the
    partner users of ``partnership``. ``strict``: raise a ValidationError when nobody can decide (no
    single D in the matrix, or nobody holds the D or an A function, the partner's A included) —
    never silently nobody."""
    version = MatrixVersion.objects.in_force(at)
    if version is None:
        raise ValidationError({"decision_type": "No decision-rights matrix has been published yet."})
    unit = deciding_unit_for(decision_type, org_unit)
    cells = list(MatrixCell.objects.filter(version=version, decision_type=decision_type).select_related("function"))
    internal = [c for c in cells if not is_partner_function(c.function)]
    covers = nearest_holders(unit_ids=[unit.pk], function_ids=[c.function_id for c in internal])
    users = User.objects.in_bulk({u for c in covers.values() for u in c.user_ids})
    units = OrgUnit.objects.in_bulk({c.org_unit_id for c in covers.values()} - {unit.pk})
    units[unit.pk] = unit
    routing = Routing(version=version, level_unit=unit)
    for cell in sorted(cells, key=lambda c: (ROLE_ORDER[c.role], c.function.code)):
        if is_partner_function(cell.function):
            _seat_partner(routing, cell, partnership)
            continue
        cover = covers.get((unit.pk, cell.function_id))
        if cover is None:
            routing.seats.append(Seat(None, cell.function, cell.role, unit))
            routing.gaps.append(f"Nobody holds {cell.function.name} at {unit.name} or above "
                                f"({cell.get_role_display()}).")
            continue
        people = [users[u] for u in cover.user_ids]
        if cell.role == RapidRole.DECIDE:
            people = people[:1]  # one decider: the longest-standing holder
        routing.seats.extend(Seat(u, cell.function, cell.role, units[cover.org_unit_id]) for u in people)
    if strict:
        _require_decider(routing, decision_type, cells)
        _require_partner(routing, decision_type, partnership)
    return routing


def partner_users(partnership: Partnership | None) -> list[User]:
    """Who answers for the partner of ``partnership``: its active partner-user members."""
    if partnership is None:
        return []
    return list(partnership.members.filter(is_active=True, role=Role.PARTNER).order_by("username"))


def _seat_partner(routing: Routing, cell: MatrixCell, partnership: Partnership | None) -> None:
    """Seat the partner users of ``partnership`` in the partner's cell (a gap where it must answer
    and cannot: a decider, or an agreement with no partnership or no partner users)."""
    if cell.role == RapidRole.DECIDE:
        routing.seats.append(Seat(None, cell.function, cell.role, routing.level_unit))
        routing.gaps.append("The partner cannot decide (D): give the D to an internal function.")
        return
    people = partner_users(partnership)
    if not people and cell.role == RapidRole.AGREE:
        routing.seats.append(Seat(None, cell.function, cell.role, routing.level_unit))
        routing.gaps.append("The partner must agree: tag the decision with a partnership that has partner users."
                            if partnership is None else
                            f"The partner must agree, but {partnership.name} has no partner users yet.")
    routing.seats.extend(Seat(u, cell.function, cell.role, routing.level_unit) for u in people)


def _require_partner(routing: Routing, decision_type: DecisionType, partnership: Partnership | None) -> None:
    if any(s.user is None and s.role == RapidRole.AGREE and is_partner_function(s.function) for s in routing.seats):
        raise ValidationError({"partnership": (
            f"“{decision_type.name}” needs the partner's agreement: choose the partnership it concerns."
            if partnership is None else
            f"“{decision_type.name}” needs the partner's agreement, but {partnership.name} has no partner users. "
            "Ask an admin to give the partner access first.")})


def _require_decider(routing: Routing, decision_type: DecisionType, cells: list[MatrixCell]) -> None:
    deciders = [c for c in cells if c.role == RapidRole.DECIDE]
    if len(deciders) != 1:
        raise ValidationError({"decision_type": (
            f"The decision-rights matrix v{routing.version.number} has {len(deciders)} deciders for "
            f"“{decision_type.name}”; it needs exactly one. Ask an admin to fix the matrix.")})
    if any(is_partner_function(c.function) for c in deciders):
        raise ValidationError({"decision_type": (
            f"The decision-rights matrix v{routing.version.number} lets the partner decide “{decision_type.name}”; "
            "an internal function has to. Ask an admin to fix the matrix.")})
    missing = [s for s in routing.seats if s.user is None and s.role in (RapidRole.DECIDE, RapidRole.AGREE)
               and not is_partner_function(s.function)]  # the partner's missing A: _require_partner
    if missing:
        names = ", ".join(f"{s.function.name} ({s.role})" for s in missing)
        raise ValidationError({"org_unit": (
            f"No decider for “{decision_type.name}” at {routing.level_unit.name}: nobody holds {names} there "
            "or above. Ask an admin to assign a holder.")})


def holidays_by_unit(unit_ids: Iterable[int]) -> dict[int, set[date]]:
    """``decisions.clock.holidays_for`` of many units in one query: ``{unit id: its and its ancestors' holidays}``."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return {}
    found: dict[int, set[date]] = {}
    rows = (Holiday.objects.filter(org_unit__descendant_links__descendant_id__in=unit_ids)
            .values_list("org_unit__descendant_links__descendant_id", "date"))
    for unit_id, day in rows:
        found.setdefault(unit_id, set()).add(day)
    return found
