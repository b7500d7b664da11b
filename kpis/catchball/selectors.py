"""Reads for the catch-ball pages: proposals in scope with the caller's side and turn."""

from __future__ import annotations

from django.db.models import Prefetch

from kpis.catchball import rules
from kpis.catchball.models import TargetProposal, TargetProposalStep
from kpis.models import Kind
from kpis.values import plain


def proposals_for(*, user, partnership=None, org_unit=None, limit: int = 50) -> list[TargetProposal]:
    """The proposals ``user`` may view (of ``partnership`` / ``org_unit`` when given), open ones
    first, each with ``your_side`` and ``your_turn``. Two queries plus one side check per distinct
    (org unit, partnership) key (none for a partner user when ``partnership``'s members are
    prefetched). A proposal of ``partnership`` gets that very object as its ``partnership``.

    The steps are read without a scope of their own: a step is viewable exactly when its proposal
    is (``StepQuerySet``), and only the steps of the proposals read here are read."""
    steps = TargetProposalStep.objects.select_related("actor").order_by("at", "pk")
    qs = TargetProposal.objects.restrict(user, "view").select_related("kpi", "org_unit__parent")
    # The caller's partnership is the proposals' own (set below): joined only when not given.
    qs = qs.filter(partnership=partnership) if partnership is not None else qs.select_related("partnership")
    qs = qs.prefetch_related(Prefetch("steps", queryset=steps))
    if org_unit is not None:
        qs = qs.filter(org_unit=org_unit)
    proposals = sorted(qs.order_by("-updated_at", "-pk")[:limit], key=lambda p: p.status == "agreed")
    sides: dict[tuple[int, int | None], str | None] = {}
    for p in proposals:
        if partnership is not None:
            p.partnership = partnership
        key = (p.org_unit_id, p.partnership_id)
        if key not in sides:
            sides[key] = rules.side_of(user, org_unit=p.org_unit, partnership=p.partnership)
        p.your_side = sides[key]
        p.your_turn = p.turn is not None and p.turn == p.your_side
    return proposals


def exact_value(value, kpi) -> str:
    """A value on the negotiating table, exactly: ``85%`` for a percent KPI (stored 0.85), else the
    number and the unit (``1250.5 units``) — no rounding to 1.2k while people argue about it."""
    if value is None:
        return "—"
    if kpi.kind == Kind.PERCENT:
        return f"{plain(value * 100)}%"
    return f"{plain(value)} {kpi.unit}".strip()
