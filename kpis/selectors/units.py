"""Org units as the KPI pages show them: the chosen unit with its trail and children
(``unit_scope``) and the unit search (``unit_search``), each one query over the visible units."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When, Window

from governance.models import OrgLevel, OrgUnit, User

LEVEL_ORDER = {"global": 0, "region": 1, "cluster": 2, "market": 3}


def level_rank(level_field: str = "level") -> Case:
    """``LEVEL_ORDER`` in SQL: 0 for ``level_field`` global … 3 for market (9 for anything else)."""
    return Case(*(When(**{level_field: level}, then=Value(rank)) for level, rank in LEVEL_ORDER.items()),
                default=Value(9))


@dataclass(slots=True, eq=False)
class Unit:
    """An org unit as the KPI pages show it (a plain object: cheaper than a model instance)."""

    pk: int
    code: str
    name: str
    level: str
    parent_id: int | None
    timezone: str = ""

    @property
    def id(self) -> int:
        return self.pk

    def get_level_display(self) -> str:
        return OrgLevel(self.level).label

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass
class UnitScope:
    unit: Unit
    children: list[Unit]
    trail: list[Unit]
    count: int  # org units the user may see: the pages link the trail and children, and search the rest


def unit_scope(user: User, code: str | None) -> UnitScope | None:
    """The chosen org unit (default: the user's top unit — the first root of the visible forest,
    by level then name), its visible children and the visible path down to it, in one query over
    the visible units' ids, codes, names, levels and parents. Only these few become objects: an
    admin sees every unit (a thousand at scale) and the pages never list them all."""
    rows = list(OrgUnit.objects.restrict(user, "view").order_by()
                .values_list("id", "code", "name", "level", "parent_id", "timezone", named=True))
    if not rows:
        return None
    by_id = {r.id: r for r in rows}
    chosen = next((r for r in rows if r.code == code), None) if code else None
    if chosen is None:
        chosen = min((r for r in rows if r.parent_id not in by_id), key=lambda r: (LEVEL_ORDER[r.level], r.name))
    trail, row = [], chosen
    while row is not None:
        trail.append(Unit(*row))
        row = by_id.get(row.parent_id)
    trail.reverse()
    children = sorted((Unit(*r) for r in rows if r.parent_id == chosen.id), key=lambda c: c.name)
    return UnitScope(unit=trail[-1], children=children, trail=trail, count=len(rows))


@dataclass(slots=True)
class UnitMatch:
    code: str
    name: str
    level: str
    parent_name: str  # empty when the parent is outside the user's scope (never named)

    def get_level_display(self) -> str:
        return OrgLevel(self.level).label


def unit_search(user: User, query: str, *, limit: int, offset: int = 0) -> tuple[list[UnitMatch], int]:
    """Up to ``limit`` (from ``offset``) org units the user may see whose code or name contains ``query`` (case
    insensitive), an exact code or name first, then prefixes, then by level and name; and how
    many match in all. One query, whatever the number of units."""
    visible = OrgUnit.objects.restrict(user, "view")
    found = visible.filter(Q(code__icontains=query) | Q(name__icontains=query))
    matches = (found
               .annotate(fit=Case(When(Q(code__iexact=query) | Q(name__iexact=query), then=Value(0)),
                                  When(Q(code__istartswith=query) | Q(name__istartswith=query), then=Value(1)),
                                  default=Value(2)),
                         depth=level_rank(),
                         parent_shown=Case(When(Exists(visible.filter(pk=OuterRef("parent_id"))),
                                                then=F("parent__name")), default=Value("")),
                         total=Window(Count("pk")))
               .order_by("fit", "depth", "name", "code")
               .values_list("code", "name", "level", "parent_shown", "total", named=True)[offset:offset + limit])
    rows = list(matches)
    if not rows and offset:  # past the end: the count alone
        return [], found.count()
    return [UnitMatch(r.code, r.name, r.level, r.parent_shown) for r in rows], rows[0].total if rows else 0
