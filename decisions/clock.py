"""The decision clock: when a decision is due, when its decider is warned, and what the escalation
sweep waits for next. The one owner of the rule (as healthchecks' ``Check.going_down_after()``):
logging, reopening and escalating start a level's clock with ``level_clock``; the sweep reads the
``next_deadline_at`` it computes; pages ask ``Decision.deadline()`` (``driving_deadline``).

* A level's clock runs for the decision type's SLA for the priority (``DecisionType.target_hours``)
  on the type's calendar: 24×7, or business hours in the decision's org unit's time zone skipping
  the holidays of the unit and its ancestors (``decisions.calendar``). That gives ``due_at``;
  missing it escalates one level up (the first level's due time is the decision's ``sla_due_at``).
* The decider is warned once per level, at ``WARNING_FRACTION`` of the level's time — or earlier
  when the requester asked for an earlier date (``due_by``, e.g. a tender deadline): at the same
  fraction of the time from the request to ``due_by``. The earlier warning wins. ``due_by`` drives
  warnings and what pages show as the deadline; escalation follows the SLA alone.
* A closed decision has no clock: no warning, no deadline (``next_deadline_at`` is None).

* A pause whose reason stops the clock (``PauseRule.stops_clock``) takes the decision off the
  sweep while it runs (``next_deadline_at`` None) and on resuming moves every running deadline by
  the clock time the pause took (``resumed_clock``): what was left of the SLA, the level's time and
  the warning at the pause is left again after it. Other pauses leave the clock running.

* A missing agreement or input has a clock of its own (``answer_clock``): it is due at
  ``ANSWER_FRACTION`` of the level's time from when it was asked (so the decider keeps the rest),
  reminded at ``WARNING_FRACTION`` of that, and chased to the same function one level up when due
  (``services.chasing``); the next level's clock starts when the chase happened.

After a warning the sweep sets ``next_deadline_at`` to ``due_at`` in its compare-and-set claim
(``services.escalation._warn``): the only step that changes a running clock outside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from decisions.calendar import add_sla_hours, sla_seconds_between
from governance.models import OrgUnit

if TYPE_CHECKING:
    from decisions.models import Decision, DecisionType

WARNING_FRACTION = 0.75  # the pre-breach warning goes out at 75% of the time
ANSWER_FRACTION = 0.5  # an agreement or input is due at half the level's time


def next_deadline(warn_at: datetime | None, due_at: datetime) -> datetime:
    """What the sweep waits for next (``Decision.next_deadline_at``, its index key): the warning
    while one is still to send, then the due time."""
    return min(warn_at, due_at) if warn_at is not None else due_at


def _holidays(decision_type: DecisionType, org_unit: OrgUnit, holidays: set[date] | None) -> set[date]:
    """``holidays`` as given (the sweep passes them in bulk), else the unit's and its ancestors'
    for a business-hours type, none for a 24×7 one."""
    if holidays is not None:
        return holidays
    if decision_type.calendar != "business":
        return set()
    return holidays_for(org_unit)


def holidays_for(unit: OrgUnit) -> set[date]:
    """Holidays of ``unit`` and its ancestors (a global holiday closes every market). ``Holiday`` is
    reached through the ``OrgUnit.holidays`` relation: ``decisions.models`` imports this module."""
    holiday = OrgUnit.holidays.rel.related_model
    return set(holiday.objects.filter(org_unit__in=OrgUnit.objects.ancestors_of(unit).values("pk"))
               .values_list("date", flat=True))


@dataclass(frozen=True)
class Clock:
    """One level's clock."""

    started_at: datetime
    due_at: datetime
    warn_at: datetime | None

    @property
    def next_deadline_at(self) -> datetime:
        """What the sweep waits for next (``next_deadline``)."""
        return next_deadline(self.warn_at, self.due_at)

    def as_fields(self) -> dict:
        """The ``Decision`` columns this clock sets."""
        return {"clock_started_at": self.started_at, "due_at": self.due_at, "warn_at": self.warn_at,
                "next_deadline_at": self.next_deadline_at}


def due_by_warning(requested_at: datetime, due_by: datetime | None) -> datetime | None:
    """When the requester's date calls for a warning (None without one)."""
    if due_by is None or due_by <= requested_at:
        return None
    return requested_at + (due_by - requested_at) * WARNING_FRACTION


def level_clock(*, decision_type: DecisionType, priority: str, org_unit: OrgUnit, start: datetime,
                requested_at: datetime | None = None, due_by: datetime | None = None,
                holidays: set[date] | None = None) -> Clock:
    """The clock of a level started at ``start`` (the request, a reopening, or the missed deadline
    of the level below). ``holidays``: the unit's and its ancestors' (looked up when omitted for a
    business-hours type; the sweep passes them in bulk)."""
    hours = decision_type.target_hours(priority)
    args = {"calendar": decision_type.calendar, "tz": org_unit.timezone,
            "holidays": _holidays(decision_type, org_unit, holidays)}
    due_at = add_sla_hours(start, hours, **args)
    warn_at = add_sla_hours(start, hours * WARNING_FRACTION, **args)
    early = due_by_warning(requested_at or start, due_by)
    if early is not None and start <= early < warn_at:
        warn_at = early
    return Clock(started_at=start, due_at=due_at, warn_at=warn_at)


def driving_deadline(decision: Decision) -> tuple[datetime, str] | None:
    """The deadline a reader should watch: the earlier of the SLA and the requested date, with
    which one it is (``"sla"`` or ``"requested"``). None for a closed decision."""
    if not decision.is_open:
        return None
    if decision.due_by is not None and decision.due_by < decision.sla_due_at:
        return decision.due_by, "requested"
    return decision.sla_due_at, "sla"


def paused_clock_fields() -> dict:
    """The ``Decision`` columns a clock-stopping pause sets: nothing is due while it runs."""
    return {"next_deadline_at": None}


def resumed_clock(decision: Decision, *, paused_at: datetime, resumed_at: datetime,
                  holidays: set[date] | None = None) -> tuple[dict, int]:
    """After a clock-stopping pause from ``paused_at`` to ``resumed_at``: the ``Decision`` columns
    with every deadline still ahead at the pause (SLA, the level's due time, the warning) moved by
    the clock time the pause took, and that time in seconds. Deadlines already passed at the pause
    stay; the requester's ``due_by`` is a date outside, never moved."""
    decision_type, unit = decision.decision_type, decision.org_unit
    args = {"calendar": decision_type.calendar, "tz": unit.timezone,
            "holidays": _holidays(decision_type, unit, holidays)}

    def moved(deadline: datetime | None) -> datetime | None:
        if deadline is None or deadline <= paused_at:
            return deadline
        left = sla_seconds_between(paused_at, deadline, **args)
        return add_sla_hours(resumed_at, left / 3600, **args)

    fields = {"sla_due_at": moved(decision.sla_due_at), "due_at": moved(decision.due_at),
              "warn_at": moved(decision.warn_at)}
    fields["next_deadline_at"] = (None if decision.escalation_exhausted
                                  else next_deadline(fields["warn_at"], fields["due_at"]))
    return fields, sla_seconds_between(paused_at, resumed_at, **args)


def answer_clock(*, decision_type: DecisionType, priority: str, tz, start: datetime,
                 holidays: set[date]) -> Clock:
    """The clock of a missing agreement or input asked at ``start``: due at ``ANSWER_FRACTION`` of
    the level's SLA on the type's calendar, reminded at ``WARNING_FRACTION`` of that."""
    hours = decision_type.target_hours(priority) * ANSWER_FRACTION
    args = {"calendar": decision_type.calendar, "tz": tz, "holidays": holidays}
    return Clock(started_at=start, due_at=add_sla_hours(start, hours, **args),
                 warn_at=add_sla_hours(start, hours * WARNING_FRACTION, **args))
