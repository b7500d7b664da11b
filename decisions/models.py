"""Decision rights (types, the versioned RAPID matrix, holidays) and the decision log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from decisions import forums
from decisions.choices import (
    AgendaReason,
    DecisionState,
    DecisionStatus,
    EventKind,
    PartyKind,
    PauseParty,
    PauseWho,
    Priority,
    RapidRole,
    Recurrence,
    ResumedHow,
    SlaCalendar,
    Stage,
)
from decisions.clock import driving_deadline
from decisions.querysets import (
    AgendaItemQuerySet,
    DecisionQuerySet,
    DecisionTypeQuerySet,
    EventQuerySet,
    ForumQuerySet,
    HolidayQuerySet,
    MatrixVersionQuerySet,
    MeetingExceptionQuerySet,
    ParticipantQuerySet,
    PauseQuerySet,
    StageQuerySet,
    ThroughDecisionQuerySet,
)
from decisions.visibility import Visibility
from governance.models import OrgLevel, code_validator
from governance.natural_keys import NaturalKeyModel

# The longest SLA a decision type may set: a year of clock hours (about four years of business
# hours). Larger targets are typing mistakes, and the SLA clock cannot place them on a calendar.
MAX_SLA_HOURS = 24 * 365


class DecisionType(NaturalKeyModel):
    """A kind of decision with its SLA policy and the org level where it is decided."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    decided_at_level = models.CharField(max_length=16, choices=OrgLevel.choices, default=OrgLevel.MARKET)
    sla_hours = models.PositiveIntegerField(default=40, help_text="Default target time to decision, in hours.")
    sla_hours_by_priority = models.JSONField(
        default=dict, blank=True, help_text='Per-priority overrides, e.g. {"urgent": 8, "low": 80}.'
    )
    calendar = models.CharField(max_length=16, choices=SlaCalendar.choices, default=SlaCalendar.BUSINESS)
    escalation_enabled = models.BooleanField(
        default=True, help_text="Escalate overdue decisions one org level up (off: only notify)."
    )
    is_active = models.BooleanField(default=True)
    forum = models.ForeignKey(
        "decisions.Forum", null=True, blank=True, on_delete=models.PROTECT, related_name="decision_types",
        help_text="Forum-bound: a lapsed decision goes on this forum's next agenda instead of escalating.")

    objects = DecisionTypeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        overrides = self.sla_hours_by_priority or {}
        if not isinstance(overrides, dict):
            raise ValidationError({"sla_hours_by_priority": "Give an object of priority → hours."})
        for key, value in overrides.items():
            if key not in Priority.values:
                raise ValidationError({"sla_hours_by_priority": f"Unknown priority '{key}'."})
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_SLA_HOURS:
                raise ValidationError({"sla_hours_by_priority": f"Hours for '{key}' must be a number between 0 and "
                                                                f"{MAX_SLA_HOURS}."})
        if not self.sla_hours or self.sla_hours <= 0:
            raise ValidationError({"sla_hours": "The SLA must be at least one hour."})
        if self.sla_hours > MAX_SLA_HOURS:
            raise ValidationError({"sla_hours": f"The SLA can be at most {MAX_SLA_HOURS} hours (a year)."})

    def target_hours(self, priority: str) -> float:
        return float((self.sla_hours_by_priority or {}).get(priority, self.sla_hours))


class Holiday(models.Model):
    """A non-working day of an org unit; business-hours clocks skip it (and its ancestors' too)."""

    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120)

    objects = HolidayQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "date"], name="holiday_unique_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name} ({self.org_unit_id})"


class MatrixVersion(models.Model):
    """One published decision-rights matrix: an immutable snapshot of every (type, function) role.

    Versions take effect in number order: each one's ``effective_at`` is now or later, and never
    before the version it was edited from (``based_on``). The version in force at time t is the
    newest non-cancelled version with ``effective_at <= t`` (``MatrixVersionQuerySet.in_force``).
    A version scheduled for the future can be cancelled until it takes effect; it stays listed.
    Consecutive versions give the before/after of every change; ``published_by``/``created_at``
    say who and when; ``note`` says why, and lists the lint gaps the publisher acknowledged.
    """

    number = models.PositiveIntegerField(unique=True)
    effective_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    note = models.TextField(blank=True)
    based_on = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of the version this one was edited from (None: the first).")
    acknowledged_gaps = models.JSONField(
        default=list, blank=True, help_text="The lint gaps the publisher acknowledged (also listed in the note).")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MatrixVersionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-number"]
        # "Version in force at t": newest effective_at <= t.
        indexes = [models.Index(fields=["effective_at", "number"], name="matrixversion_in_force")]

    def __str__(self) -> str:
        return f"v{self.number}"

    def status(self, *, now, in_force: MatrixVersion | None) -> str:
        """``in_force``, ``scheduled``, ``superseded`` or ``cancelled`` (``in_force``: the version in
        force at ``now``, read once by the caller for a whole list)."""
        if self.cancelled_at is not None:
            return "cancelled"
        if in_force is not None and self.pk == in_force.pk:
            return "in_force"
        return "scheduled" if self.effective_at > now else "superseded"


class MatrixDraft(models.Model):
    """An admin's unpublished edit of the matrix, saved as they work (one per admin). ``cells`` is
    the whole proposed matrix as ``[[decision type id, function id, role], …]``; ``base_number`` the
    version it started from, named when it is published (a stale base answers 409)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matrix_draft")
    base_number = models.PositiveIntegerField(null=True, blank=True)
    cells = models.JSONField(default=list)
    note = models.TextField(blank=True)
    effective_at = models.DateTimeField(null=True, blank=True, help_text="None: publish takes effect at once.")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"draft of {self.user_id} on v{self.base_number}"


class MatrixCell(models.Model):
    """A RAPID role of a function for a decision type within one matrix version (never edited)."""

    version = models.ForeignKey(MatrixVersion, on_delete=models.CASCADE, related_name="cells")
    decision_type = models.ForeignKey(DecisionType, on_delete=models.CASCADE, related_name="matrix_cells")
    function = models.ForeignKey("governance.Function", on_delete=models.PROTECT, related_name="matrix_cells")
    role = models.CharField(max_length=1, choices=RapidRole.choices)

    class Meta:
        ordering = ["decision_type_id", "function_id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "decision_type", "function"], name="matrixcell_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.decision_type_id}/{self.function_id}={self.role}"


class Decision(models.Model):
    """A logged decision: its routing (matrix version, current decider), clock and outcome."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    decision_type = models.ForeignKey(DecisionType, on_delete=models.PROTECT, related_name="decisions")
    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="decisions")
    partnership = models.ForeignKey(
        "partners.Partnership", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    kpis = models.ManyToManyField("kpis.KPI", blank=True, related_name="decisions",
                                  help_text="The KPIs this decision is expected to move.")
    # The business review it was taken in (issue 16). Declared here, not on the review: decisions
    # sit above partners in the layers, so the review page lists them through a decisions template tag.
    review = models.ForeignKey(
        "partners.BusinessReview", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
        help_text="The business review this decision was taken in.")
    # Review actions that serve this decision (``action.decisions``), on this side for the same reason.
    review_actions = models.ManyToManyField("partners.ReviewAction", blank=True, related_name="decisions",
                                            help_text="Business review actions that serve this decision.")
    options = models.JSONField(default=list, blank=True, help_text='[{"option", "pros", "cons"}]')
    # Confidentiality towards the partner of ``partnership`` (decisions/visibility.py).
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL,
                                  db_default=Visibility.INTERNAL,
                                  help_text="Shared: the partner's users see the decision and its outcome.")
    options_visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL,
                                          db_default=Visibility.INTERNAL)
    rationale_visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL,
                                            db_default=Visibility.INTERNAL)
    status = models.CharField(max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.OPEN)
    # db_default as well: bulk loaders and the sweep's set-based SQL insert rows without the ORM.
    blocked = models.BooleanField(
        default=False, db_default=False,
        help_text="Open but vetoed in the current round: waits on the requester to revise or withdraw.")
    round = models.PositiveSmallIntegerField(
        default=1, db_default=1, help_text="Revising after a veto starts a new round: agreements are asked for again.")
    matrix_version = models.ForeignKey(MatrixVersion, on_delete=models.PROTECT, related_name="decisions")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()

    # Routing: who decides now, as which function, at which unit (moves up on escalation).
    decider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="decisions_to_decide"
    )
    decider_function = models.ForeignKey("governance.Function", on_delete=models.PROTECT, related_name="+")
    deciding_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_exhausted = models.BooleanField(
        default=False, help_text="Overdue at the top of the ladder (global): admins were notified."
    )

    # The clock (decisions.clock): sla_due_at is the original SLA; due_at/warn_at belong to the
    # current level; due_by is the date the requester asked for (the earlier one drives warnings).
    due_by = models.DateTimeField(null=True, blank=True, help_text="Requested due date, e.g. a tender deadline.")
    clock_started_at = models.DateTimeField()
    sla_due_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    next_deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="min(warn_at, due_at) while something is still to happen; the sweep's key."
    )

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    last_nudged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the people it waits on were last reminded (rate limit).")

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            # The escalation sweep: open decisions whose next deadline has passed. Partial, so it
            # stays as small as the set of open decisions however long the log grows.
            models.Index(
                fields=["next_deadline_at"], name="decision_open_deadline",
                condition=models.Q(status="open", next_deadline_at__isnull=False),
            ),
            # My queue ("what waits on me as decider").
            models.Index(fields=["decider", "status"], name="decision_decider_status"),
            # Scoped lists and analytics per org unit.
            models.Index(fields=["org_unit", "status", "requested_at"], name="decision_unit_status"),
            # The list's default order (newest first; "oldest" walks it forwards): a leader's first
            # page reads 25 entries of it instead of sorting every decision in scope (at 1M
            # decisions 0.9 s -> 0.05 s; docs/benchmarks.md).
            models.Index(fields=["requested_at", "id"], name="decision_requested"),
            # Stuck decisions (``selectors.stuck_decisions``: the dashboard's panel, the digests):
            # open ones walked by SLA, the panel's order, with what the stuck rule and the scope read
            # of each entry in the index itself. At 1M decisions a leader's panel at the top of the
            # tree read every open decision (0.2-0.4 s); it now stops once the panel's limit is in
            # scope (docs/benchmarks.md, "Stuck decisions at 1M").
            models.Index(fields=["sla_due_at", "id"], name="decision_open_sla",
                         include=["org_unit", "escalation_level"], condition=models.Q(status="open")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == DecisionStatus.OPEN

    @property
    def state(self) -> str:
        """``DecisionState``: the status, with vetoed open decisions shown as blocked."""
        return DecisionState.BLOCKED if self.is_open and self.blocked else self.status

    def get_state_display(self) -> str:
        return DecisionState(self.state).label

    def is_overdue(self, now) -> bool:
        """Open and past the original SLA (an escalated decision stays overdue)."""
        return self.is_open and self.sla_due_at <= now

    def deadline(self):
        """``(when, "sla" | "requested")``: the earlier of the SLA and the requested date (None when
        closed). See ``decisions.clock``."""
        return driving_deadline(self)


class DecisionParticipant(models.Model):
    """Who takes part in a decision, snapshotted from the matrix and assignments when logged
    (deciders reached by escalation are added with their ``level``)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decision_roles")
    function = models.ForeignKey("governance.Function", on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=1, choices=RapidRole.choices)
    level = models.PositiveSmallIntegerField(default=0)
    input_at = models.DateTimeField(null=True, blank=True)
    input_text = models.TextField(blank=True)
    agreed = models.BooleanField(null=True, blank=True, help_text="None: not yet; True: agreed; False: vetoed.")
    agreed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL,
                                  db_default=Visibility.INTERNAL,
                                  help_text="Of this participant's answer (input, agreement or veto, comment).")

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["decision_id", "level", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "user", "function", "role", "level"],
                                    name="participant_unique")
        ]
        # My queue: "where am I still asked for input/agreement".
        indexes = [models.Index(fields=["user", "role"], name="participant_user_role")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} ({self.function_id})"


class DecisionEvent(models.Model):
    """Append-only timeline entry. Saved once, never changed or deleted."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField()
    level = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1, db_default=1)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL,
                                  db_default=Visibility.INTERNAL)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["decision", "at"], name="decisionevent_timeline")]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Decision events are append-only and cannot be changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Decision events are append-only and cannot be deleted.")


class Escalation(models.Model):
    """One row per decision per level: the database guarantees a level is reached at most once."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    function = models.ForeignKey("governance.Function", on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    missed_deadline = models.DateTimeField()
    at = models.DateTimeField()

    objects = ThroughDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decision_id", "level"]
        constraints = [models.UniqueConstraint(fields=["decision", "level"], name="escalation_once_per_level")]

    def __str__(self) -> str:
        return f"{self.decision_id} → level {self.level}"


class DecisionStage(models.Model):
    """One interval of a decision's open time, attributed to the party it waited on. Kept by the
    decision services as the state changes (``services.stages.sync_stages``), never recomputed per
    read. Parties are asked in parallel, so the intervals of one decision may overlap (input and
    agreement from several functions at once); ``business_seconds`` is the interval's length on the
    decision's SLA calendar (business hours and holidays of its org unit), set when it ends."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    party_kind = models.CharField(max_length=16, choices=PartyKind.choices)
    party_key = models.CharField(max_length=64, help_text="The party as one value (one open row per stage and party).")
    function = models.ForeignKey("governance.Function", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    org_unit = models.ForeignKey("governance.OrgUnit", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    partner = models.ForeignKey("partners.Partner", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    level = models.PositiveSmallIntegerField(default=0, help_text="Escalation level of the party (chasing).")
    round = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    business_seconds = models.BigIntegerField(null=True, blank=True, help_text="Set when the interval ends.")
    # The chase clock of a missing agreement or input (``decisions.clock.answer_clock``; the sweep's
    # ``services.chasing``): reminded at ``warn_at``, chased one level up at ``due_at``.
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    next_deadline_at = models.DateTimeField(null=True, blank=True)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["decision_id", "started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "stage", "party_key"],
                                    condition=models.Q(ended_at__isnull=True),
                                    name="decisionstage_one_open_per_party"),
        ]
        indexes = [
            models.Index(fields=["decision", "started_at"], name="decisionstage_timeline"),
            # The chase sweep: open intervals whose reminder or deadline has come.
            models.Index(fields=["next_deadline_at"], name="decisionstage_chase",
                         condition=models.Q(ended_at__isnull=True, next_deadline_at__isnull=False)),
            # "Waiting on an agree past its answer time" (``DecisionQuerySet.stuck``): the open agree
            # intervals already due, without reading the others (27,707 of them at 1M decisions,
            # hashed on every stuck read: 0.1-0.15 s).
            models.Index(fields=["due_at"], name="decisionstage_agree_due", include=["decision"],
                         condition=models.Q(stage=Stage.AGREE, ended_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.stage} {self.party_key} {self.started_at:%Y-%m-%d %H:%M}"


class PauseRule(models.Model):
    """A reason a decision of a type may be paused, with its rules: whom it waits on, who may pause,
    whether the SLA clock stops, how long at most, and whether the party's answer resumes it.
    A type without rules cannot be paused."""

    decision_type = models.ForeignKey(DecisionType, on_delete=models.CASCADE, related_name="pause_rules")
    code = models.CharField(max_length=32, validators=[code_validator])
    label = models.CharField(max_length=120, help_text='E.g. "Waiting on partner data".')
    party = models.CharField(max_length=16, choices=PauseParty.choices, default=PauseParty.ANY)
    who_may_pause = models.CharField(max_length=16, choices=PauseWho.choices, default=PauseWho.EITHER)
    stops_clock = models.BooleanField(default=False, help_text="The SLA clock stops while paused for this reason.")
    max_hours = models.PositiveIntegerField(default=120, help_text="The pause ends at the latest after this long "
                                                                   "(clock hours).")
    resumes_on_answer = models.BooleanField(default=True, help_text="An input or agreement from the party it waits "
                                                                    "on resumes the decision.")
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["decision_type_id", "label"]
        constraints = [models.UniqueConstraint(fields=["decision_type", "code"], name="pauserule_unique_code")]

    def __str__(self) -> str:
        return f"{self.decision_type_id}: {self.label}"

    def clean(self) -> None:
        if not 0 < (self.max_hours or 0) <= MAX_SLA_HOURS:
            raise ValidationError({"max_hours": f"Give between 1 and {MAX_SLA_HOURS} hours."})


class DecisionPause(models.Model):
    """A pause of a decision: its reason (rule), the party it waits on, who paused it and when, and
    how it ended. At most one runs per decision. ``clock_seconds``: the SLA clock time it stopped
    (0 when its reason does not stop the clock), set when it ends."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="pauses")
    rule = models.ForeignKey(PauseRule, on_delete=models.PROTECT, related_name="pauses")
    party_kind = models.CharField(max_length=16, choices=PartyKind.choices)
    function = models.ForeignKey("governance.Function", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    org_unit = models.ForeignKey("governance.OrgUnit", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    partner = models.ForeignKey("partners.Partner", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    note = models.TextField(blank=True)
    stops_clock = models.BooleanField()
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paused_at = models.DateTimeField()
    resume_by = models.DateTimeField(help_text="When it resumes by itself (its date, at most the rule's maximum).")
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    resumed_how = models.CharField(max_length=16, choices=ResumedHow.choices, blank=True)
    clock_seconds = models.BigIntegerField(null=True, blank=True)

    objects = PauseQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["decision_id", "paused_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision"], condition=models.Q(resumed_at__isnull=True),
                                    name="decisionpause_one_running"),
        ]
        indexes = [models.Index(fields=["resume_by"], condition=models.Q(resumed_at__isnull=True),
                                name="decisionpause_due")]

    def __str__(self) -> str:
        return f"{self.decision_id} paused {self.paused_at:%Y-%m-%d %H:%M} ({self.rule_id})"


class Chase(models.Model):
    """A missing agreement or input chased one level up: one row per decision, stage, function and
    level, so the database guarantees each level is reached at most once (as ``Escalation``)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="chases")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    function = models.ForeignKey("governance.Function", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    round = models.PositiveSmallIntegerField(default=1)
    from_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("governance.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+",
                                help_text="None: nobody holds the function higher up (admins told).")
    missed_deadline = models.DateTimeField()
    at = models.DateTimeField()

    objects = ThroughDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decision_id", "stage", "function_id", "level"]
        constraints = [models.UniqueConstraint(fields=["decision", "stage", "function", "round", "level"],
                                               name="chase_once_per_level")]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.stage} {self.function_id} → level {self.level}"


class SavedDecisionFilter(models.Model):
    """A user's named decision-list filter (the list's query string: filters, search and sort)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decision_filters")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saveddecisionfilter_unique_name")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name}"


class Forum(models.Model):
    """A governance forum (e.g. the DACH Commercial Council) that decides the decisions of the types
    bound to it at its meetings. Meetings repeat (``recurrence`` on ``weekday`` from ``first_date``;
    monthly: the ``week_of_month``-th weekday, -1 the last) at ``time_of_day`` in the org unit's
    time zone; ``ForumMeetingException`` rows cancel or move single dates."""

    name = models.CharField(max_length=120)
    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="forums")
    chair_function = models.ForeignKey("governance.Function", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", help_text="The function that chairs it at the org unit.")
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices, default=Recurrence.MONTHLY)
    weekday = models.PositiveSmallIntegerField(choices=[(i, d) for i, d in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))], default=1)
    week_of_month = models.SmallIntegerField(default=1, help_text="Monthly: 1–4, or -1 for the last one.")
    time_of_day = models.TimeField(help_text="Local time of the org unit.")
    first_date = models.DateField(help_text="No meeting before this date; every other week counts from it.")
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ForumQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule(self) -> str:
        return forums.schedule_text(self)

    FIRST_DATE_YEARS = (2000, 2100)  # a schedule outside these years is a typo, and dates past 9999 overflow

    def clean(self) -> None:
        if self.recurrence == Recurrence.MONTHLY and self.week_of_month not in (1, 2, 3, 4, -1):
            raise ValidationError({"week_of_month": "Give 1–4, or -1 for the last one of the month."})
        low, high = self.FIRST_DATE_YEARS
        if self.first_date is not None and not low <= self.first_date.year <= high:
            raise ValidationError({"first_date": f"Give a date between {low} and {high}."})


class ForumMeetingException(models.Model):
    """One scheduled meeting date of a forum cancelled (``moved_to`` empty) or moved."""

    MAX_MOVE_DAYS = forums.MAX_MOVE_DAYS  # the meeting rule's

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(help_text="The date the meeting was scheduled for.")
    moved_to = models.DateTimeField(null=True, blank=True, help_text="Empty: cancelled.")
    note = models.CharField(max_length=200, blank=True)

    objects = MeetingExceptionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["forum_id", "date"]
        constraints = [models.UniqueConstraint(fields=["forum", "date"], name="forummeetingexception_unique_date")]

    def __str__(self) -> str:
        return f"{self.forum_id} {self.date}: " + (f"moved to {self.moved_to:%Y-%m-%d %H:%M}" if self.moved_to
                                                     else "cancelled")

    def clean(self) -> None:
        if self.moved_to is not None and abs((self.moved_to.date() - self.date).days) > self.MAX_MOVE_DAYS:
            raise ValidationError({"moved_to": f"Move a meeting by at most {self.MAX_MOVE_DAYS} days."})


class AgendaItem(models.Model):
    """A decision queued on a forum's agenda for the meeting at ``meeting_at`` (moved to the next
    one by the sweep while the decision stays open after ``passes_at``; ``rolls`` counts the moves).
    At most one open item per decision: the database backs the sweep's exactly-once claim. Written
    only by the services (the decision's timeline records every step), so it keeps no history."""

    forum = models.ForeignKey(Forum, on_delete=models.PROTECT, related_name="agenda_items")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="agenda_items")
    reason = models.CharField(max_length=16, choices=AgendaReason.choices)
    queued_at = models.DateTimeField()
    queued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="Who flagged it (None: the sweep, on lapsing).")
    meeting_at = models.DateTimeField()
    passes_at = models.DateTimeField(help_text="When the meeting counts as past (the sweep's key).")
    rolls = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set when the decision closes.")

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting_at", "queued_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["decision"], condition=models.Q(closed_at__isnull=True),
                                               name="agendaitem_one_open_per_decision")]
        indexes = [models.Index(fields=["passes_at"], condition=models.Q(closed_at__isnull=True),
                                name="agendaitem_open_passes")]

    def __str__(self) -> str:
        return f"{self.decision_id} on {self.forum_id} @ {self.meeting_at:%Y-%m-%d %H:%M}"


class AnalyticsSnapshot(models.Model):  # noqa: DJ008 - internal work table
    """The default view of the latency analytics page (no filters, the last 180 days), precomputed
    by ``decisions.tasks.refresh_analytics_snapshots`` for one *scope key*
    (``services.analytics_snapshots.analytics_scope_key``): everything ``Decision.objects.restrict(user,
    "view")`` depends on, so every viewer with the key sees exactly these figures. Not a user-facing
    model: no ``restrict()``; only the service reads it, by the viewer's own key. ``payload`` is the
    canonical JSON text of the figures (``payload_json``), ``computed_at`` the "as of"."""

    scope_key = models.CharField(max_length=255, unique=True)
    payload = models.TextField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0, help_text="How long computing it took.")

    def __str__(self) -> str:
        return f"{self.scope_key} @ {self.computed_at:%Y-%m-%d %H:%M}"
