"""Scoped querysets of the decisions app (see ``governance.querysets``)."""

from __future__ import annotations

from django.db import models

from governance.querysets import ScopedQuerySet, is_active_user


class DecisionTypeQuerySet(ScopedQuerySet):
    """Decision types are reference data every signed-in user may read."""

    def visible_to(self, user) -> DecisionTypeQuerySet:
        return self if is_active_user(user) else self.none()


class MatrixVersionQuerySet(ScopedQuerySet):
    """The matrix is internal configuration: internal users read it, partner users do not."""

    def visible_to(self, user) -> MatrixVersionQuerySet:
        if not is_active_user(user) or user.is_partner:
            return self.none()
        return self

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
    scope_org_unit_field = "org_unit"


class DecisionQuerySet(ScopedQuerySet):
    """Decisions sit in the subtree of their org unit; partner users see their partnerships' ones."""

    scope_org_unit_field = "org_unit"
    scope_partnership_field = "partnership"

    def open(self) -> DecisionQuerySet:
        return self.filter(status="open")

    def in_state(self, state: str) -> DecisionQuerySet:
        """``DecisionState``: ``open`` excludes the blocked (vetoed) ones, ``blocked`` is only those."""
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

    def escalated(self) -> DecisionQuerySet:
        return self.filter(escalation_level__gt=0)

    def waiting_on(self, user) -> DecisionQuerySet:
        """Open decisions where ``user`` is the decider, or still owes input or agreement."""
        from decisions.models import DecisionParticipant

        owed = DecisionParticipant.objects.filter(user=user).filter(
            models.Q(role="I", input_at__isnull=True) | models.Q(role="A", agreed__isnull=True)
        ).values("decision_id")
        return self.filter(status="open").filter(models.Q(decider=user) | models.Q(pk__in=owed))


class ThroughDecisionQuerySet(ScopedQuerySet):
    """Children of a decision are scoped through it."""

    scope_org_unit_field = "decision__org_unit"
    scope_partnership_field = "decision__partnership"
