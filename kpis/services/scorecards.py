"""Function and partner scorecards: the weighted mean of attainment over the KPIs an owner
co-owns, computed from scorecard cells already read for a page (no extra queries).

Rules (documented in kpis/README.md): each KPI's attainment is capped at ``ATTAINMENT_CAP`` so
one runaway KPI cannot hide the others; KPIs without attainment are left out (and counted as
missing). Status is the *weighted RAG*: green when the weighted attainment reaches the weighted
green threshold, red below the weighted red threshold, amber between. ``worst`` reports the
worst KPI status alongside, so a single red KPI stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ATTAINMENT_CAP = Decimal("1.5")
_RANK = {"red": 0, "amber": 1, "green": 2, "none": 3}


@dataclass
class Scorecard:
    owner: object
    score: Decimal | None = None
    status: str = "none"
    worst: str = "none"
    kpis: int = 0
    missing: int = 0
    counts: dict = field(default_factory=lambda: {"green": 0, "amber": 0, "red": 0, "none": 0})

    @property
    def score_pct(self) -> int | None:
        return None if self.score is None else round(self.score * 100)


def weighted_scorecard(owner, items: Iterable[tuple[Decimal, object]]) -> Scorecard:
    """``items`` are (weight, cell-or-None) pairs for the KPIs ``owner`` co-owns."""
    card = Scorecard(owner=owner)
    total_w = score = green = red = Decimal(0)
    for weight, cell in items:
        card.kpis += 1
        rag = getattr(cell, "rag", "none") or "none"
        card.counts[rag] += 1
        if cell is None or cell.attainment is None:
            card.missing += 1
            continue
        if _RANK[rag] < _RANK[card.worst]:
            card.worst = rag
        weight = Decimal(weight)
        total_w += weight
        score += weight * min(Decimal(cell.attainment), ATTAINMENT_CAP)
        green += weight * Decimal(cell.green_at)
        red += weight * Decimal(cell.red_at)
    if total_w > 0:
        card.score = score / total_w
        if card.score >= green / total_w:
            card.status = "green"
        elif card.score < red / total_w:
            card.status = "red"
        else:
            card.status = "amber"
    return card
