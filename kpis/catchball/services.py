"""The catch-ball's transitions. Each locks the proposal, checks whose turn it is and that the actor
sits on that side (``rules``), appends a step and tells the other side.

    parent proposes ──► proposed ──(child accepts)──► agreed ──► target_set(value)
                           │  ▲
            child counters │  │ parent revises (a new value)
                           ▼  │
                        countered ──(parent accepts)──► agreed

Out of the actor's scope is the caller's 404 (``TargetProposal.objects.restrict``); on no side or
not their turn: ``NotYourTurn`` (403); agreed already: ``ProposalClosed`` (409); a bad value,
period or missing comment: ``ValidationError`` (400), nothing changed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.errors import Conflict, NotAllowed
from governance.notifications import notify
from governance.querysets import VIEW, can
from kpis.catchball import rules
from kpis.catchball.models import ProposalStatus, Side, StepKind, TargetProposal, TargetProposalStep
from kpis.catchball.selectors import exact_value
from kpis.models import KPI, Kind, Target
from kpis.services.definitions import _check_period, target_set
from kpis.values import as_validation_error, parse_number, target_problems


class NotYourTurn(NotAllowed):
    default_message = "It is not your turn on this proposal."


class ProposalClosed(Conflict):
    default_message = "This proposal is agreed already."


def clean_value(kpi: KPI, value) -> Decimal:
    """A proposed target value, checked as every target is (``kpis.values``: strict number, the
    KPI's kind and range; percent KPIs take a fraction or ``"85%"``)."""
    try:
        number = parse_number(value, percent=kpi.kind == Kind.PERCENT)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from None
    problems = target_problems(kpi, number)
    if problems:
        raise as_validation_error(problems)
    return number


def _url(proposal: TargetProposal) -> str:
    if proposal.partnership_id:
        return reverse("partners:partnership", args=[proposal.partnership_id]) + "#target-proposals"
    return reverse("kpis:proposals") + f"?org_unit={proposal.org_unit.code}"


def _label(proposal: TargetProposal) -> str:
    who = proposal.partnership.name if proposal.partnership_id else proposal.org_unit.name
    return f"{proposal.kpi.name} {proposal.period:%b %Y} for {who}"


def _step(proposal, *, kind, side, actor, value, comment, now) -> TargetProposalStep:
    return TargetProposalStep.objects.create(proposal=proposal, kind=kind, side=side, actor=actor, value=value,
                                             comment=(comment or "").strip(), at=now)


def _require_side(actor, proposal: TargetProposal, side: str, what: str) -> None:
    if rules.side_of(actor, org_unit=proposal.org_unit, partnership=proposal.partnership) != side:
        whose = "the child (the unit's own people or the partner)" if side == Side.CHILD else "the parent"
        raise NotYourTurn(f"Only {whose} can {what} this proposal now.")


@transaction.atomic
def proposal_create(*, actor, kpi: KPI, org_unit, period: date, value, comment: str = "", partnership=None,
                    now: datetime | None = None) -> TargetProposal:
    """The parent proposes a target for the child (an org unit, or a partnership at its unit)."""
    now = now or timezone.now()
    _check_period(period)
    value = clean_value(kpi, value)
    errors = {}
    if not can(actor, VIEW, kpi):
        errors["kpi"] = "Unknown KPI."
    elif partnership is not None and not kpi.ownerships.filter(partnership=partnership).exists():
        errors["kpi"] = f"{partnership.name} does not co-own {kpi.code}: a partnership's target is for a KPI it shares."
    if partnership is None and org_unit.parent_id is None:
        errors["org_unit"] = f"{org_unit.name} has no parent unit to propose its target."
    if errors:
        raise ValidationError(errors)
    if rules.side_of(actor, org_unit=org_unit, partnership=partnership) != Side.PARENT:
        raise NotYourTurn("Only the parent — whoever sits above the unit, or the company's side of a "
                          "partnership — can propose its target.")
    key = partnership.pk if partnership else 0
    if TargetProposal.objects.open().filter(kpi=kpi, org_unit=org_unit, partnership_key=key, period=period).exists():
        raise ProposalClosed("A proposal for this KPI, unit, partnership and month is still open: answer it.")
    try:
        with transaction.atomic():
            proposal = TargetProposal.objects.create(
                kpi=kpi, org_unit=org_unit, partnership=partnership, partnership_key=key, period=period, value=value,
                proposed_by=actor, created_at=now, updated_at=now)
    except IntegrityError:  # a concurrent proposal for the same key won
        raise ProposalClosed("A proposal for this KPI, unit, partnership and month is still open: answer it.") \
            from None
    _step(proposal, kind=StepKind.PROPOSED, side=Side.PARENT, actor=actor, value=value, comment=comment, now=now)
    notify(recipients=rules.child_side(org_unit=org_unit, partnership=partnership), kind="target.proposed",
           title=f"Target proposed: {_label(proposal)}",
           body=f"{exact_value(value, kpi)} — accept it or counter with your own.",
           url=_url(proposal), dedupe_key=f"proposal:{proposal.pk}:1", now=now)
    return proposal


def _locked(proposal: TargetProposal) -> TargetProposal:
    return (TargetProposal.objects.select_for_update(of=("self",))
            .select_related("kpi", "org_unit", "partnership", "proposed_by").get(pk=proposal.pk))


def _require_open(proposal: TargetProposal) -> None:
    if proposal.status == ProposalStatus.AGREED:
        raise ProposalClosed()


@transaction.atomic
def proposal_accept(*, actor, proposal: TargetProposal, comment: str = "",
                    now: datetime | None = None) -> TargetProposal:
    """The side whose turn it is accepts the value on the table: it becomes the target (thresholds
    of an existing target are kept)."""
    now = now or timezone.now()
    proposal = _locked(proposal)
    _require_open(proposal)
    _require_side(actor, proposal, proposal.turn, "accept")
    existing = Target.objects.filter(kpi=proposal.kpi, org_unit=proposal.org_unit,
                                     partnership_key=proposal.partnership_key, period=proposal.period).first()
    thresholds = {"green_at": existing.green_at, "red_at": existing.red_at} if existing else {}
    target = target_set(kpi=proposal.kpi, org_unit=proposal.org_unit, partnership=proposal.partnership,
                        period=proposal.period, value=proposal.value, target=existing, **thresholds)
    side = proposal.turn
    proposal.status, proposal.target, proposal.updated_at = ProposalStatus.AGREED, target, now
    proposal.save(update_fields=["status", "target", "updated_at"])
    _step(proposal, kind=StepKind.ACCEPTED, side=side, actor=actor, value=proposal.value, comment=comment, now=now)
    others = [proposal.proposed_by] if side == Side.CHILD else rules.child_side(
        org_unit=proposal.org_unit, partnership=proposal.partnership)
    notify(recipients=[u for u in others if u.pk != actor.pk], kind="target.agreed",
           title=f"Target agreed: {_label(proposal)}",
           body=f"{exact_value(proposal.value, proposal.kpi)} is the target now.",
           url=_url(proposal), dedupe_key=f"proposal:{proposal.pk}:agreed", now=now)
    return proposal


@transaction.atomic
def proposal_counter(*, actor, proposal: TargetProposal, value, comment: str,
                     now: datetime | None = None) -> TargetProposal:
    """The side whose turn it is puts another value on the table, saying why: the child counters a
    proposal, the parent revises a counter. The turn passes to the other side."""
    now = now or timezone.now()
    proposal = _locked(proposal)
    _require_open(proposal)
    side = proposal.turn
    _require_side(actor, proposal, side, "counter" if side == Side.CHILD else "revise")
    value = clean_value(proposal.kpi, value)
    if not (comment or "").strip():
        raise ValidationError({"comment": "Say why — the other side answers to it."})
    if value == proposal.value:
        raise ValidationError({"value": f"{exact_value(value, proposal.kpi)} is the value on the table already: "
                                        "accept it instead."})
    proposal.value, proposal.updated_at = value, now
    proposal.status = ProposalStatus.COUNTERED if side == Side.CHILD else ProposalStatus.PROPOSED
    proposal.save(update_fields=["value", "status", "updated_at"])
    kind = StepKind.COUNTERED if side == Side.CHILD else StepKind.REVISED
    step = _step(proposal, kind=kind, side=side, actor=actor, value=value, comment=comment, now=now)
    others = [proposal.proposed_by] if side == Side.CHILD else rules.child_side(
        org_unit=proposal.org_unit, partnership=proposal.partnership)
    notify(recipients=[u for u in others if u.pk != actor.pk], kind=f"target.{kind}",
           title=f"Target {kind}: {_label(proposal)}", url=_url(proposal),
           body=f"{exact_value(value, proposal.kpi)} — {comment.strip()}",
           dedupe_key=f"proposal:{proposal.pk}:step:{step.pk}", now=now)
    return proposal
