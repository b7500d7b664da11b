"""Confidentiality towards partner users: what of a decision a partner user may see.

A decision tagged with a partnership is not automatically the partner's business. Each part
carries a visibility, ``internal`` (the default) or ``shared`` with the partner:

* the decision — title, description, type, org unit, priority, status, SLA due date, outcome:
  ``Decision.visibility``, chosen by the requester when logging (later by requester, decider, admins);
* its options and trade-off: ``Decision.options_visibility``, the same;
* the decider's rationale: ``Decision.rationale_visibility``, chosen by the decider when deciding;
* each input, agreement or veto and its comment: ``DecisionParticipant.visibility``, its author's choice;
* each timeline entry: ``DecisionEvent.visibility``, following the part it records; escalations,
  reassignments, withdrawals and reopenings stay internal.

**Joint decisions.** Where the matrix names the partner (function ``PARTNER``, ``routing``), the
decision is shared with the partner when it is logged, whatever the requester chose, and cannot be
made internal again while the partner takes part (it answers to it, so it must see it). Only the
decision itself is forced: options, rationale and internal people's answers keep their own
(internal by default) visibility. A partner user's own seat and answer are always ``shared``: their
colleagues of the partnership see them, internal users see everything anyway. The partnership of a
joint decision cannot be changed by an edit (``services.edits``).

Which *rows* a partner user gets is the querysets' rule (``decisions/querysets.py``: shared
decisions of their partnerships, shared answers and events, never an escalation level's seat).
Which *fields* of those rows they get is this module's: never who requested, decides or decided,
never the escalation path (level, deciding unit and function, the current level's due date), the
matrix version, internal people's names or ids; options and rationale only when shared. Internal
users and admins see everything in their scope. Partner users are notified only of shared parts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models

from governance.models import INTERNAL_PERSON, Role
from governance.querysets import VIEW, can, sees_internal


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    SHARED = "shared", "Shared with the partner"


# Decision fields a partner user never sees: people, the escalation path, the matrix, the internal
# rounds (a new round follows a veto) and the requester's own needed-by date.
HIDDEN_FROM_PARTNERS = ("requested_by", "decider", "decider_function", "deciding_unit", "decided_by",
                        "escalation_level", "escalation_exhausted", "matrix_version", "due_at", "due_by", "round",
                        "blocked")
PARTICIPANT_PEOPLE = ("user", "username", "name")
INTERNAL_ACTOR = INTERNAL_PERSON  # what a partner reads for an internal person, one label


def clean_visibility(value: str, field: str) -> str:
    if value not in Visibility.values:
        raise ValidationError({field: f"Choose {' or '.join(Visibility.values)}."})
    return value


def partner_answer_visibility(author, chosen: str) -> str:
    """The visibility of an answer (or seat) of ``author``: a partner user's is always shared."""
    return Visibility.SHARED if getattr(author, "is_partner", False) else chosen


def partner_takes_part(decision) -> bool:
    """Partner users hold a seat in ``decision`` (the matrix named the partner when it was logged)."""
    return decision.participants.filter(user__role=Role.PARTNER, user__is_superuser=False).exists()


def redact_decision(data: dict, viewer) -> dict:
    """A decision's API representation as ``viewer`` may see it (hidden fields are ``None``)."""
    if sees_internal(viewer):
        return data
    out = {**data, **dict.fromkeys(f for f in HIDDEN_FROM_PARTNERS if f in data)}
    if data.get("state") == "blocked":  # blocked = vetoed in this round: a veto is internal
        out["state"] = "open"
    if data.get("options_visibility") != Visibility.SHARED:
        out["options"] = None
    if data.get("rationale_visibility") != Visibility.SHARED:
        out["rationale"] = None
    return out


def redact_participant(data: dict, viewer) -> dict:
    """A participant as ``viewer`` may see it: a partner user sees their own row whole, others'
    (shared answers only reach them at all) without who they are."""
    if sees_internal(viewer) or data.get("user") == viewer.pk:
        return data
    return {**data, **dict.fromkeys(PARTICIPANT_PEOPLE)}


def redact_event(data: dict, viewer) -> dict:
    """A timeline entry as ``viewer`` may see it: a partner user sees what happened and when, not
    which internal person did it or the internal detail (``data``)."""
    if sees_internal(viewer) or data.get("actor") == viewer.pk:
        return data
    return {**data, "actor": None, "actor_name": INTERNAL_ACTOR, "data": {}, "level": None}


def redact_stage(data: dict, viewer) -> dict:
    """A stage interval as ``viewer`` may see it: a partner user sees when the partner was waited on
    (and pauses), and of the rest only that the internal team had it — not which function or unit,
    the escalation level, the round, or a veto's redrafting (``stage`` becomes ``internal``)."""
    if sees_internal(viewer):
        return data
    party = data.get("party") or {}
    out = {**data, "level": None, "round": None}
    if party.get("kind") != "partner":
        out["party"] = {"kind": "internal", "function": None, "org_unit": None, "partner": None,
                        "name": INTERNAL_ACTOR}
        if data.get("stage") != "paused":
            out["stage"], out["stage_label"] = "internal", "With the internal team"
    return out


def person_label(viewer, person, fallback: str) -> str:
    """The name of ``person`` — someone taking part in a decision ``viewer`` can view — for a
    message to ``viewer``, else ``fallback``: messages and errors never echo the name of someone
    the reader may not see. Internal readers may: a decision's people hold assignments on the chain
    of its org unit, which is in the reader's subtree or line (``User`` ``"view"``); the page shows
    them their names anyway. Partner users see only themselves."""
    if person is None:
        return fallback
    if sees_internal(viewer) or person.pk == viewer.pk:
        return person.name_seen_by(viewer)
    return fallback


def people_labels(viewer, people: Iterable) -> list[str]:
    """``person_label`` of each of ``people`` that ``viewer`` may see, in order."""
    return [label for p in people if (label := person_label(viewer, p, ""))]


def notifiable(decision, people: Iterable, *, shared_part: bool) -> list:
    """Who of ``people`` may be told about a part of ``decision``: internal users always; partner
    users only when that part is shared and they may view the decision (shared, theirs)."""
    return [p for p in people if p is not None and (not p.is_partner or (shared_part and can(p, VIEW, decision)))]
