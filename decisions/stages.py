"""What an open decision waits for, and on whom: the one owner of the stage rule.

At any moment an open decision waits on one or more parties, each in a stage:

* **paused** — while a pause runs, only the pause's party (``services.pauses``);
* **drafting** — blocked by a veto: the requester revises or withdraws it;
* **input** — each function asked for input or a recommendation (I, R) that has not given it;
* **agree** — each function whose agreement (A) of the current round is missing (one answer from
  any of its holders counts, as for deciding); a chased agreement waits on the holder one level up;
* **decision** — once no agreement is missing: the decider's function at the deciding unit.

Input and agreement are asked in parallel, so a decision can wait on several parties at once
(their intervals overlap); input still missing does not stop the decider from deciding, so it
overlaps the decision stage too (as ``services.nudges.waiting_on`` reminds both).

A party is a function at an org unit, **the partner** (of the decision's partnership: a partner
user's seat, or a seat of the ``PARTNER`` function), or the requester. ``Party.key`` names it in
one value; the stage rows keep one open interval per (stage, party).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from decisions.models import PartyKind, RapidRole, Stage

PARTNER_FUNCTION_CODES = frozenset({"PARTNER"})  # a matrix function that stands for the partner


@dataclass(frozen=True)
class Party:
    kind: str
    function_id: int | None = None
    org_unit_id: int | None = None
    partner_id: int | None = None
    level: int = 0

    @property
    def key(self) -> str:
        if self.kind == PartyKind.FUNCTION:
            return f"function:{self.function_id}@{self.org_unit_id}"
        if self.kind == PartyKind.PARTNER:
            return f"partner:{self.partner_id}"
        return self.kind

    @classmethod
    def requester(cls) -> Party:
        return cls(PartyKind.REQUESTER)


@dataclass(frozen=True)
class Seat:
    """A participant's A/I/R seat as the rule needs it."""

    role: str
    function_id: int
    org_unit_id: int
    level: int
    answered: bool  # A: agreed in this round; I/R: input given
    partner: bool  # held by a partner user, or a seat of the partner's function


@dataclass
class Snapshot:
    """A decision's state as the rule needs it (the services read it in bulk)."""

    is_open: bool
    blocked: bool
    decider_function_id: int
    deciding_unit_id: int
    escalation_level: int
    partner_id: int | None = None
    seats: list[Seat] = field(default_factory=list)
    pause_party: Party | None = None


def seat_party(seat: Seat, partner_id: int | None) -> Party:
    if seat.partner and partner_id is not None:
        return Party(PartyKind.PARTNER, partner_id=partner_id, level=seat.level)
    return Party(PartyKind.FUNCTION, function_id=seat.function_id, org_unit_id=seat.org_unit_id, level=seat.level)


def _waiting_seat(seats: list[Seat]) -> Seat:
    """Of one function's unanswered seats, the one a chase reached last (highest level)."""
    return max(seats, key=lambda s: (s.level, -s.org_unit_id))


def open_stages(s: Snapshot) -> dict[tuple[str, str], tuple[str, Party]]:
    """``{(stage, party key): (stage, party)}``: what the decision waits for now (empty when closed)."""
    if not s.is_open:
        return {}
    wanted: list[tuple[str, Party]] = []
    if s.pause_party is not None:
        wanted.append((Stage.PAUSED, s.pause_party))
    elif s.blocked:
        wanted.append((Stage.DRAFTING, Party.requester()))
    else:
        agree_missing = False
        for role, stage in ((RapidRole.AGREE, Stage.AGREE), (RapidRole.INPUT, Stage.INPUT)):
            by_function: dict[int, list[Seat]] = {}
            for seat in s.seats:
                if (seat.role == RapidRole.AGREE) == (role == RapidRole.AGREE):
                    by_function.setdefault(seat.function_id, []).append(seat)
            for seats in by_function.values():
                if not any(x.answered for x in seats):
                    wanted.append((stage, seat_party(_waiting_seat(seats), s.partner_id)))
                    agree_missing |= stage == Stage.AGREE
        if not agree_missing:
            wanted.append((Stage.DECISION, Party(PartyKind.FUNCTION, function_id=s.decider_function_id,
                                                 org_unit_id=s.deciding_unit_id, level=s.escalation_level)))
    return {(stage, party.key): (stage, party) for stage, party in wanted}
