"""The decisions app's choices (NetBox's ``*/choices.py``): the enumerations its models, querysets,
rules and services share, in a module that imports no other module of the app (``decisions.models``
imports its querysets, which need ``Stage`` and ``DECISION_EVENT_KINDS``). ``decisions.models``
re-exports the choices classes."""

from django.db import models


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class SlaCalendar(models.TextChoices):
    ALWAYS = "24x7", "24×7"
    BUSINESS = "business", "Business hours (Mon–Fri, org unit's time zone)"


class RapidRole(models.TextChoices):
    RECOMMEND = "R", "Recommend"
    AGREE = "A", "Agree (veto)"
    PERFORM = "P", "Perform"
    INPUT = "I", "Input"
    DECIDE = "D", "Decide"


class DecisionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DecisionState(models.TextChoices):
    """What a reader sees: the status, except that an open decision vetoed in its current round is
    *blocked* (it waits on the requester to revise or withdraw it, not on its decider)."""

    OPEN = "open", "Open"
    BLOCKED = "blocked", "Blocked (vetoed)"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EventKind(models.TextChoices):
    LOGGED = "logged", "Logged"
    INPUT_GIVEN = "input_given", "Input given"
    AGREED = "agreed", "Agreed"
    VETOED = "vetoed", "Vetoed"
    DECIDED = "decided", "Decided"
    ESCALATED = "escalated", "Escalated"
    REASSIGNED = "reassigned", "Reassigned"
    REOPENED = "reopened", "Reopened"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EDITED = "edited", "Edited"
    REVISED = "revised", "Revised (new round)"
    NUDGED = "nudged", "Reminder sent"
    VISIBILITY = "visibility", "Sharing changed"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    AGREE_ESCALATED = "agree_escalated", "Agreement chased one level up"
    INPUT_ESCALATED = "input_escalated", "Input chased one level up"
    FORUM_QUEUED = "forum_queued", "Queued for the forum"
    FORUM_ROLLED = "forum_rolled", "Moved to the forum's next meeting"


# Timeline entries that record the decision itself (its description, its outcome): a partner user
# sees them exactly when the decision is shared with them, whenever it was shared. Edits, revisions,
# reminders, escalations, withdrawals and reopenings stay internal.
DECISION_EVENT_KINDS = (EventKind.LOGGED, EventKind.DECIDED)


class Stage(models.TextChoices):
    """What an open decision waits for (``decisions.stages`` has the rule)."""

    DRAFTING = "drafting", "Drafting (with the requester)"
    INPUT = "input", "Waiting for input"
    AGREE = "agree", "Waiting for agreement"
    DECISION = "decision", "Waiting for the decision"
    PAUSED = "paused", "Paused"


class PartyKind(models.TextChoices):
    """Who a stage waits on: a function at an org unit, the partner, or the requester."""

    FUNCTION = "function", "Function"
    PARTNER = "partner", "Partner"
    REQUESTER = "requester", "Requester"


class PauseParty(models.TextChoices):
    """Whom a pause reason waits on."""

    PARTNER = "partner", "The partner"
    REQUESTER = "requester", "The requester"
    FUNCTION = "function", "A function taking part"
    ANY = "any", "Any of them"


class PauseWho(models.TextChoices):
    """Who may pause a decision for a reason (admins always may)."""

    REQUESTER = "requester", "The requester"
    DECIDER = "decider", "The decider"
    EITHER = "either", "The requester or the decider"


class ResumedHow(models.TextChoices):
    MANUAL = "manual", "Resumed by hand"
    ANSWER = "answer", "The party answered"
    DATE = "date", "Its date passed"
    CLOSED = "closed", "The decision closed"


class Recurrence(models.TextChoices):
    """How a forum's meetings repeat (``decisions.forums.next_meeting`` has the rule)."""

    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every other week"
    MONTHLY = "monthly", "Monthly, on the nth weekday"


class AgendaReason(models.TextChoices):
    LAPSED = "lapsed", "Not decided in time"
    FLAGGED = "flagged", "Flagged: needs the forum"
