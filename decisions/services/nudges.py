"""Reminding the people a decision waits on (a nudge), at most once per ``NUDGE_INTERVAL``.

Who it waits on (``waiting_on``): the agreeing participants (A) who have not answered this round,
the participants asked for input or a recommendation (I, R) who have not given it, the decider once
no agreement is missing, and the requester while a veto blocks it. The requester, the current
decider or an admin may nudge; the interval is per decision (whoever nudged last), claimed with a
compare-and-set ``UPDATE … WHERE last_nudged_at IS NULL OR last_nudged_at <= now - interval`` so two
clicks at once send one reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from decisions.exceptions import DecisionConflict, NotAParticipant
from decisions.models import Decision, EventKind, RapidRole
from decisions.services.common import _event, _locked, _require_open, decision_url
from decisions.services.workflow import _may_manage
from decisions.visibility import person_label
from governance.errors import TooSoon
from governance.models import User
from governance.notifications import notify
from governance.timezones import format_instant, user_zone

NUDGE_INTERVAL = timedelta(hours=4)


class NudgedRecently(TooSoon):
    """A reminder went out less than ``NUDGE_INTERVAL`` ago (429 with Retry-After)."""

    code = "nudged_recently"

    def __init__(self, *, next_at: datetime, now: datetime):
        self.next_at = next_at
        super().__init__(f"A reminder went out less than {int(NUDGE_INTERVAL.total_seconds() // 3600)} hours ago; "
                         f"you can send the next one at {format_instant(next_at)}.",
                         retry_after=int((next_at - now).total_seconds()))


@dataclass(frozen=True)
class Waiting:
    user: User
    why: str  # "agree", "input", "decide", "revise"


def waiting_on(decision: Decision) -> list[Waiting]:
    """Who the open ``decision`` waits on now (see the module docstring); empty when closed."""
    if not decision.is_open:
        return []
    if decision.blocked:
        return [Waiting(decision.requested_by, "revise")]
    people: list[Waiting] = []
    # All participants (the page prefetches them with their users), the unanswered ones picked here.
    rows = sorted(decision.participants.all(), key=lambda p: (p.role, p.user.username))
    open_rows = [p for p in rows if (p.role == RapidRole.AGREE and p.agreed is None)
                 or (p.role in (RapidRole.INPUT, RapidRole.RECOMMEND) and p.input_at is None)]
    agree_missing = False
    for row in open_rows:
        if not row.user.is_active:
            continue
        agree_missing |= row.role == RapidRole.AGREE
        people.append(Waiting(row.user, "agree" if row.role == RapidRole.AGREE else "input"))
    if not agree_missing and decision.decider is not None:
        people.append(Waiting(decision.decider, "decide"))
    seen, unique = set(), []
    for w in people:
        if w.user.pk not in seen:
            seen.add(w.user.pk)
            unique.append(w)
    return unique


ASKS = {"agree": "your agreement (or veto)", "input": "your input", "decide": "your decision",
        "revise": "a revision or withdrawal after the veto"}


@transaction.atomic
def decision_nudge(*, decision: Decision, actor: User, now: datetime | None = None) -> list[User]:
    """Remind everyone ``decision`` waits on (except the actor). Returns who was reminded.

    403 unless requester, current decider or admin; 409 when closed or nobody is waited on;
    429 (``NudgedRecently``) within ``NUDGE_INTERVAL`` of the last reminder."""
    now = now or timezone.now()
    decision = _locked(decision)
    if not _may_manage(decision, actor):
        raise NotAParticipant("Only the requester, the current decider or an admin can send a reminder.")
    _require_open(decision)
    waiting = [w for w in waiting_on(decision) if w.user.pk != actor.pk]
    if not waiting:
        raise DecisionConflict("Nobody else is holding this decision up right now.")
    claimed = (Decision.objects.filter(pk=decision.pk)
               .filter(Q(last_nudged_at__isnull=True) | Q(last_nudged_at__lte=now - NUDGE_INTERVAL))
               .update(last_nudged_at=now))
    if not claimed:
        raise NudgedRecently(next_at=decision.last_nudged_at + NUDGE_INTERVAL, now=now)
    for w in waiting:
        deadline = decision.deadline()
        # A partner chased for their answer is not told which internal person is asking.
        notify(recipients=[w.user], kind="decision.nudge", title=f"Reminder: {decision.title}",
               body=lambda user, w=w, deadline=deadline: (
                   f"{person_label(user, actor, 'The team')} is waiting for {ASKS[w.why]}."
                   + (f" Due {format_instant(deadline[0], user_zone(user), 'short')}." if deadline else "")),
               url=decision_url(decision), dedupe_key=f"decision:{decision.pk}:nudge:{now.isoformat()}", now=now)
    _event(decision, EventKind.NUDGED, actor=actor, now=now,
           message="Reminded " + ", ".join(w.user.get_full_name() or w.user.username for w in waiting) + ".",
           data={"reminded": [{"user": w.user.username, "for": w.why} for w in waiting]})
    return [w.user for w in waiting]
