"""Who may do what to decision types, the matrix, holidays and decisions (``restrict(user, action)``).

Decision types are reference data every signed-in user views; the matrix (its versions) is
internal; admins change both. Decisions: internal users view those in their org scope; partner
users only those of their partnerships that were **shared** with them, and of those only the
shared answers and timeline entries (never an escalation level's seat, never an escalation) —
see decisions/visibility.py for the fields. A decision is changed (withdrawn, reopened, edited,
shared) by its requester or current decider (and admins); who may decide, agree or give input is
the workflow's rule (the participants), not a scope.

``decisions.models`` imports this module: the models a queryset needs are reached through the
relations (``ScopedQuerySet.related_model``), the choices come from ``decisions.choices``.
"""

from __future__ import annotations

from django.db import models

from decisions.choices import DECISION_EVENT_KINDS, Stage
from decisions.visibility import Visibility
from governance.join_order import WrittenJoinOrderQuerySet
from governance.querysets import (
    CHANGE,
    DELETE,
    VIEW,
    InArray,
    ScopedQuerySet,
    is_active_user,
    member_partnership_ids,
)


class DecisionTypeQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE, DELETE)

    def _restrict_view(self, user) -> DecisionTypeQuerySet:
        return self.all()

    _restrict_change = ScopedQuerySet._nobody
    _restrict_delete = ScopedQuerySet._nobody


class MatrixVersionQuerySet(ScopedQuerySet):
    """The matrix is internal configuration: internal users view it. Versions are never changed;
    admins publish new ones (a role rule: publishing names no existing row)."""

    def _restrict_view(self, user) -> MatrixVersionQuerySet:
        return self.none() if user.is_partner else self.all()

    def published(self) -> MatrixVersionQuerySet:
        """Every version not cancelled (cancelled ones stay listed, but never take effect)."""
        return self.filter(cancelled_at__isnull=True)

    def in_force(self, at):
        """The version in force at ``at``: the newest published one whose ``effective_at`` has come
        (``None`` before the first publication)."""
        return self.published().filter(effective_at__lte=at).order_by("-effective_at", "-number").first()

    def head(self):
        """The newest published version, in force or scheduled: every edit starts from it."""
        return self.published().order_by("-number").first()


class HolidayQuerySet(ScopedQuerySet):
    actions = (VIEW, CHANGE)
    scope_org_unit_field = "org_unit"
    _restrict_change = ScopedQuerySet._nobody


class DecisionQuerySet(WrittenJoinOrderQuerySet, ScopedQuerySet):
    """Decisions sit in the subtree of their org unit; partner users see their partnerships' ones.
    The pages' reads of decisions with what they point at joined in are planned in the written
    order (``in_written_join_order``; governance/join_order.py)."""

    actions = (VIEW, CHANGE)
    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"

    def _restrict_view(self, user) -> DecisionQuerySet:
        if user.is_partner:  # tagged with their partnership is not enough: shared with them
            return self.filter(partnership__in=member_partnership_ids(user), visibility=Visibility.SHARED)
        return super()._restrict_view(user)

    def _restrict_change(self, user) -> DecisionQuerySet:
        if user.is_partner:
            return self.none()
        return self._restrict_view(user).filter(models.Q(requested_by=user) | models.Q(decider=user))

    def open(self) -> DecisionQuerySet:
        return self.filter(status="open")

    def in_state(self, state: str, *, viewer=None) -> DecisionQuerySet:
        """``DecisionState``: ``open`` excludes the blocked (vetoed) ones, ``blocked`` is only those.
        For a partner ``viewer`` a veto is internal: ``blocked`` matches nothing and ``open`` is every
        open decision."""
        if viewer is not None and viewer.is_partner and state in ("blocked", "open"):
            return self.none() if state == "blocked" else self.filter(status="open")
        if state == "blocked":
            return self.filter(status="open", blocked=True)
        if state == "open":
            return self.filter(status="open", blocked=False)
        return self.filter(status=state)

    def search(self, text: str) -> DecisionQuerySet:
        """Decisions whose title or description, or whose partnership's or partner's name, contains
        ``text`` (case-insensitive)."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(models.Q(title__icontains=text) | models.Q(description__icontains=text)
                           | models.Q(partnership__name__icontains=text)
                           | models.Q(partnership__partner__name__icontains=text))

    def overdue(self, now) -> DecisionQuerySet:
        """Open and past the original SLA (escalation restarts a level's clock, not the SLA)."""
        return self.filter(status="open", sla_due_at__lte=now)

    def decided_within_sla(self, met: bool = True) -> DecisionQuerySet:
        """Decided by the original SLA (``met``) or after it — the analytics' "within SLA"."""
        decided = self.filter(status="decided")
        return (decided.filter(decided_at__lte=models.F("sla_due_at")) if met
                else decided.filter(decided_at__gt=models.F("sla_due_at")))

    def escalated(self) -> DecisionQuerySet:
        return self.filter(escalation_level__gt=0)

    def stuck(self, now) -> DecisionQuerySet:
        """Open decisions that are stuck: overdue (past the SLA), escalated, or waiting on an agree
        past its answer time (the agree stage's own clock, ``clock.answer_clock``: half the level's
        time — a fresh request waiting on its agreements is not stuck yet). Annotates
        ``waiting_agree`` (``stuck_reasons`` reads it). Internal: an escalation and an agree are not
        the partner's to see."""
        return (self.filter(status="open").annotate(waiting_agree=self.waiting_on_agree(now))
                .filter(models.Q(sla_due_at__lte=now) | models.Q(escalation_level__gt=0)
                        | models.Q(waiting_agree=True)))

    def waiting_on_agree(self, now) -> models.Exists:
        """Whether the outer decision waits on an agree past its answer time (the ``stuck`` rule's
        third part; the index ``decisionstage_agree_due`` holds exactly these intervals)."""
        return models.Exists(self.related_model("stages").objects.filter(
            decision=models.OuterRef("pk"), stage=Stage.AGREE, ended_at__isnull=True, due_at__lte=now))

    def waiting_on(self, user) -> DecisionQuerySet:
        """Open decisions where ``user`` is the decider, or still owes input or agreement."""
        owed = self.related_model("participants").objects.filter(user=user).filter(
            models.Q(role="I", input_at__isnull=True) | models.Q(role="A", agreed__isnull=True)
        ).values("decision_id")
        return self.filter(status="open").filter(models.Q(decider=user) | models.Q(pk__in=owed))


class ThroughDecisionQuerySet(ScopedQuerySet):
    """Children of a decision (escalations) are viewed through it; partner users never see the
    escalation path.

    A child's view rule is its decision's (``_decisions``) and then ``_beyond_decision``: what else a
    reader must satisfy, which subclasses narrow for partner users."""

    def _decisions(self, user):
        return self.filter(decision__in=self.related_model("decision").objects.restrict(user, VIEW).values("pk"))

    def _beyond_decision(self, user) -> ThroughDecisionQuerySet:
        return self.none() if user.is_partner else self

    def _restrict_view(self, user) -> ThroughDecisionQuerySet:
        return self._decisions(user)._beyond_decision(user)

    def sees_every_child(self, user) -> bool:
        """Whether ``user`` sees every child of a decision in their view: no rule of this model
        applies beyond the decision's own (``_beyond_decision`` leaves the queryset as it is), so
        such children may be read by their decision alone (``decisions.selectors.decision_detail``)."""
        return is_active_user(user) and (user.is_admin or self._beyond_decision(user) is self)


class InViewChildrenQuerySet(ThroughDecisionQuerySet):
    """``of_decisions_in_view`` for the children the pages and the API read by the dozen: a
    decision's participants and events. It trusts its ids to be decisions just read in ``user``'s
    view, so it is offered only where a caller has them (a page's decisions, a detail)."""

    def of_decisions_in_view(self, user, decision_ids) -> InViewChildrenQuerySet:
        """``restrict(user, "view")`` of the children of ``decision_ids``, decisions just read
        through ``Decision.objects.restrict(user, "view")`` (a page, a detail): the decision part of
        the rule holds for them, so only the rest is applied (``_beyond_decision``) and the caller's
        decisions are not scoped a second time in a subquery."""
        qs = self.filter(InArray(models.F("decision_id"), decision_ids))
        if not is_active_user(user):
            qs = qs.none()
        elif not user.is_admin:
            qs = qs._beyond_decision(user)
        qs._restriction = (VIEW, user.pk if user is not None else None)
        return qs


class ParticipantQuerySet(InViewChildrenQuerySet):
    """Partner users: on a decision shared with them, their own seats and the answers their
    authors shared — never a seat gained through escalation."""

    def _beyond_decision(self, user) -> ParticipantQuerySet:
        if not user.is_partner:
            return self
        return self.filter(level=0).filter(models.Q(user=user) | models.Q(visibility=Visibility.SHARED))


class EventQuerySet(InViewChildrenQuerySet):
    """Partner users, on decisions shared with them: the entries recording the decision itself
    (logged, decided), the answers their authors shared, and their own."""

    def _beyond_decision(self, user) -> EventQuerySet:
        if not user.is_partner:
            return self
        return self.filter(
            models.Q(kind__in=DECISION_EVENT_KINDS) | models.Q(visibility=Visibility.SHARED) | models.Q(actor=user))


class StageQuerySet(ThroughDecisionQuerySet):
    """Stage intervals are read through their decision: partner users get those of decisions shared
    with them, with internal parties redacted (``visibility.redact_stage``)."""

    def _beyond_decision(self, user) -> StageQuerySet:
        return self


class PauseQuerySet(ThroughDecisionQuerySet):
    """Pauses are read through their decision (their parties redacted for partner users as stages)."""

    def _beyond_decision(self, user) -> PauseQuerySet:
        return self


class ForumQuerySet(ScopedQuerySet):
    """Forums are internal: internal users see those of the org units in their scope (a forum of
    DACH: DACH's people and those above); partner users none. Admins configure them."""

    actions = (VIEW, CHANGE)
    scope_org_unit_field = "org_unit"
    _restrict_change = ScopedQuerySet._nobody

    def active(self) -> ForumQuerySet:
        return self.filter(archived_at__isnull=True)


class MeetingExceptionQuerySet(ScopedQuerySet):
    """A forum's cancelled or moved meetings: seen with the forum, changed by admins."""

    actions = (VIEW, CHANGE)
    scope_org_unit_field = "forum__org_unit"
    _restrict_change = ScopedQuerySet._nobody


class AgendaItemQuerySet(ThroughDecisionQuerySet):
    """An agenda entry is seen through its decision by internal users (a requester below the forum's
    unit sees that their decision is queued); the agenda page itself is only for who sees the forum.
    Partner users: none."""
