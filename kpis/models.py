"""Shared KPIs, their targets and actuals, and the rolled-up scorecard cells.

Numbers that are entered (measurements, targets) are exact decimals: sums of them are then
independent of the order PostgreSQL happens to add rows in, so an incremental rollup and a full
rebuild give identical cells. ``partnership_key`` (the partnership's id, 0 for none) makes the
natural keys NOT NULL, so one plain unique index (and ``ON CONFLICT``) covers them, "no
partnership" included.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from governance.models import code_validator
from governance.natural_keys import NaturalKeyModel
from governance.querysets import sees_internal
from kpis.choices import RAG, Aggregation, Category, Direction, Frequency, Grain, ImportStatus, Kind
from kpis.querysets import (
    CellQuerySet,
    ImportJobQuerySet,
    KPIOwnershipQuerySet,
    KPIQuerySet,
    MeasurementQuerySet,
    ObjectiveQuerySet,
    TargetQuerySet,
)
from kpis.values import check_definition

AMOUNT = {"max_digits": 20, "decimal_places": 6}
THRESHOLD = {"max_digits": 6, "decimal_places": 3}
DERIVED = {"max_digits": 30, "decimal_places": 10, "null": True, "blank": True}


class KPI(NaturalKeyModel):
    """A key performance indicator. ``code`` is its natural key in the API and CSV files."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=160)
    unit = models.CharField(max_length=24, blank=True, help_text="e.g. EUR, %, days, accounts")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices, default=Aggregation.SUM)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.NUMBER,
                            help_text="What the values are: decides the valid range and how they are shown.")
    min_value = models.DecimalField(**AMOUNT, null=True, blank=True,
                                    help_text="Smallest valid actual (empty: the kind's default). Percent: 0.5 = 50%.")
    max_value = models.DecimalField(**AMOUNT, null=True, blank=True,
                                    help_text="Largest valid actual (empty: the kind's default). Percent: 1 = 100%.")
    description = models.TextField(blank=True)
    # Business review actions that serve this KPI (issue 16): declared here because kpis sits above
    # partners in the layers — ``action.kpis`` reads them; ``decisions.services.review_links`` writes them.
    review_actions = models.ManyToManyField("partners.ReviewAction", blank=True, related_name="kpis",
                                            help_text="Review actions that serve this KPI.")

    objects = KPIQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "code"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        check_definition(self)

    @property
    def is_percent(self) -> bool:
        return self.kind == Kind.PERCENT

    @property
    def is_ratio(self) -> bool:
        return self.aggregation == Aggregation.RATIO


class KPIOwnership(models.Model):
    """A co-owner of a KPI — a function or a partnership — with its contribution weight."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="ownerships")
    function = models.ForeignKey(
        "governance.Function", null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_ownerships"
    )
    partnership = models.ForeignKey(
        "partners.Partnership", null=True, blank=True, on_delete=models.CASCADE, related_name="kpi_ownerships"
    )
    weight = models.DecimalField(max_digits=6, decimal_places=3, default=1, validators=[MinValueValidator(0)])

    objects = KPIOwnershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(function__isnull=False, partnership__isnull=True)
                           | models.Q(function__isnull=True, partnership__isnull=False)),
                name="kpiownership_function_xor_partnership",
            ),
            models.UniqueConstraint(fields=["kpi", "function"], name="kpiownership_unique_function"),
            models.UniqueConstraint(fields=["kpi", "partnership"], name="kpiownership_unique_partnership"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}: {self.function or self.partnership} × {self.weight}"


class Target(models.Model):
    """The target for a KPI at an org unit (optionally for one partnership) in one month, and the
    attainment thresholds: green at ≥ ``green_at``, red below ``red_at``, amber between."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="targets", db_index=False)
    org_unit = models.ForeignKey("governance.OrgUnit", on_delete=models.PROTECT, related_name="kpi_targets")
    partnership = models.ForeignKey(
        "partners.Partnership", null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_targets"
    )
    partnership_key = models.BigIntegerField(default=0, editable=False)
    period = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(**AMOUNT)
    green_at = models.DecimalField(**THRESHOLD, default=1)
    red_at = models.DecimalField(**THRESHOLD, default=0.9)

    objects = TargetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "org_unit", "period"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "org_unit", "partnership_key", "period"], name="target_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}@{self.org_unit_id} {self.period:%Y-%m}: {self.value}"


class Measurement(models.Model):
    """An actual: KPI × org unit (usually a market) × optional partnership × month.

    Millions of rows are normal: one unique index in the rollup's lookup order and a partial index
    for partner users' lists; the foreign keys carry no index of their own.
    """

    id = models.BigAutoField(primary_key=True)
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="measurements", db_index=False)
    org_unit = models.ForeignKey(
        "governance.OrgUnit", on_delete=models.PROTECT, related_name="kpi_measurements", db_index=False
    )
    partnership = models.ForeignKey(
        "partners.Partnership", null=True, blank=True, on_delete=models.PROTECT, related_name="kpi_measurements",
        db_index=False,
    )
    partnership_key = models.BigIntegerField(default=0, editable=False)
    period = models.DateField(help_text="First day of the month.")
    value = models.DecimalField(**AMOUNT, null=True, blank=True)
    numerator = models.DecimalField(**AMOUNT, null=True, blank=True)
    denominator = models.DecimalField(**AMOUNT, null=True, blank=True)
    source = models.CharField(max_length=32, default="api")
    outlier_note = models.CharField(
        max_length=300, blank=True, default="", db_default="",
        help_text="Set when the value was far from its history and whoever entered it confirmed it.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    entered_at = models.DateTimeField()

    objects = MeasurementQuerySet.as_manager()
    # History grows as fast as the table: 64-bit ids, and only the object-id and date indexes.
    history = HistoricalRecords(history_id_field=models.BigAutoField(primary_key=True),
                                no_db_index=["kpi", "org_unit", "partnership", "entered_by"])

    class Meta:
        constraints = [
            # The rollup reads a leaf cell's rows as (org_unit, kpi, period) → every partnership.
            models.UniqueConstraint(
                fields=["org_unit", "kpi", "period", "partnership_key"], name="measurement_unique_key"
            ),
        ]
        indexes = [
            # Partner users list their partnership's measurements.
            models.Index(fields=["partnership", "period"], name="measurement_partnership",
                         condition=models.Q(partnership__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}@{self.org_unit_id} {self.period:%Y-%m}: {self.value}"

    def entered_by_seen_by(self, viewer) -> str | None:
        """Who entered this row, as the login name ``viewer`` may see, in the API and the CSV export:
        internal users see whoever it was; a partner user only their own — internal people's login
        names are not theirs to know (``User.objects.restrict``: a partner user's people are
        themselves). ``entered_by`` should be selected with the row."""
        if self.entered_by_id is None:
            return None
        if not sees_internal(viewer) and self.entered_by_id != getattr(viewer, "pk", None):
            return None
        return self.entered_by.username


class StrategicObjective(NaturalKeyModel):
    """An objective of the Hoshin Kanri cascade and the KPIs that measure it.

    Top-level objectives are global (the "breakthrough"); each child refines its ``parent`` for an
    org unit within the parent's subtree (region, cluster, market) or for a partnership working
    there. ``org_unit`` and ``partnership`` are never both set; an objective with neither (a
    database without a global unit) counts as global. The rules are ``kpis.services.definitions``'.
    """

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kpis = models.ManyToManyField(KPI, blank=True, related_name="objectives")
    order = models.PositiveSmallIntegerField(default=0)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    org_unit = models.ForeignKey("governance.OrgUnit", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="objectives")
    partnership = models.ForeignKey("partners.Partnership", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="objectives")

    objects = ObjectiveQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[kpis])

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(org_unit__isnull=True) | models.Q(partnership__isnull=True),
                                   name="objective_unit_or_partnership"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("pk")), name="objective_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def place(self) -> str:
        """Where the objective sits, for lists: the org unit, the partnership, or Global."""
        if self.partnership_id:
            return str(self.partnership.name)
        return self.org_unit.name if self.org_unit_id else "Global"


class ScorecardCell(models.Model):
    """One rolled-up figure: KPI × org unit (any level) × partnership (0 = all) × grain × period.

    Written only by ``kpis.services.rollup`` with set-based SQL. ``numerator``/``denominator``
    carry Σnum/Σden (ratio), Σvalue/count (average) or Σvalue/count (sum, latest) so parents and
    longer windows roll up exactly. ``reporting``/``expected`` is the coverage: markets in the
    subtree that reported / markets with an actual or a target for this cell.
    """

    id = models.BigAutoField(primary_key=True)
    kpi = models.ForeignKey(KPI, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    org_unit = models.ForeignKey(
        "governance.OrgUnit", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    partnership = models.ForeignKey(
        "partners.Partnership", null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )
    partnership_key = models.BigIntegerField(default=0)
    grain = models.CharField(max_length=8, choices=Grain.choices)
    period = models.DateField(help_text="Month start; quarter start for quarters; the last month for YTD.")
    actual = models.DecimalField(**DERIVED)
    numerator = models.DecimalField(**DERIVED)
    denominator = models.DecimalField(**DERIVED)
    target = models.DecimalField(**DERIVED)
    green_at = models.DecimalField(**THRESHOLD, default=1)
    red_at = models.DecimalField(**THRESHOLD, default=0.9)
    attainment = models.DecimalField(**DERIVED)
    rag = models.CharField(max_length=8, choices=RAG.choices, default=RAG.NONE)
    reporting = models.PositiveIntegerField(default=0)
    expected = models.PositiveIntegerField(default=0)

    objects = CellQuerySet.as_manager()

    class Meta:
        constraints = [
            # Dashboard reading order: one unit (and its children), one grain, all partnerships
            # or one, one period, every KPI — and the rollup's child lookups, all equalities.
            models.UniqueConstraint(
                fields=["org_unit", "grain", "partnership_key", "period", "kpi"], name="scorecardcell_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}@{self.org_unit_id}/{self.partnership_key} {self.grain} {self.period}: {self.rag}"

    @property
    def coverage(self) -> float | None:
        return self.reporting / self.expected if self.expected else None


class DirtyCell(models.Model):  # noqa: DJ008 - internal work table
    """A leaf key whose measurements or targets changed since the last rollup. Writers insert
    with ``ON CONFLICT DO NOTHING``; the rollup claims (deletes) them in its own transaction."""

    id = models.BigAutoField(primary_key=True)
    kpi_id = models.BigIntegerField()
    org_unit_id = models.BigIntegerField()
    partnership_key = models.BigIntegerField(default=0)
    period = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi_id", "org_unit_id", "partnership_key", "period"],
                                    name="dirtycell_unique_key"),
        ]


class RollupScope(models.Model):  # noqa: DJ008 - internal work table
    """Work table of one rollup run (under the rollup lock): the cell keys to recompute."""

    id = models.BigAutoField(primary_key=True)
    grain = models.CharField(max_length=8)  # "dirty" rows are the claimed leaf keys
    kpi_id = models.BigIntegerField()
    org_unit_id = models.BigIntegerField()
    partnership_key = models.BigIntegerField()
    period = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["org_unit_id", "grain", "period"], name="rollupscope_lookup")]


class RollupWindow(models.Model):  # noqa: DJ008 - internal calendar
    """Calendar: which month cells make up each quarter and year-to-date cell. The rollup joins on
    it (one indexed equi-join) instead of computing windows with date functions per row."""

    grain = models.CharField(max_length=8, choices=Grain.choices)
    period = models.DateField()
    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "grain", "period"], name="rollupwindow_unique")]


# Target catch-ball (issue 19) keeps its models in their own module; importing it registers them.
from kpis.catchball.models import TargetProposal, TargetProposalStep  # noqa: E402, F401


class ImportJob(models.Model):
    """A measurements file too large to import while the page waits (``kpis.services.imports``).

    The uploaded bytes live on the row (at most ``kpis.rows.MAX_CSV_BYTES``, as
    every upload) so any worker can read them; the job fills in its progress and, when finished,
    what it did: counts and a sample of the changed keys (``done``), the row errors (``failed``,
    the first ``MAX_ERRORS`` and ``error_count``) or the values to confirm (``confirm``: the
    plausibility check's warnings; confirming queues the same job again with ``confirm``). The
    rows are kept as the record of who uploaded what and when; what the import changed is in the
    measurements' own history.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField()
    filename = models.CharField(max_length=200, blank=True)
    fmt = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    decimal = models.CharField(max_length=5, blank=True)  # "comma"/"point" as declared, "" = sniffed
    confirm = models.BooleanField(default=False)  # outliers confirmed by the uploader
    rows = models.PositiveIntegerField(null=True, blank=True)  # data rows, once read (an estimate before)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=120, blank=True)  # what the job is doing now
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)  # why it failed, for people
    created = models.PositiveIntegerField(default=0)
    corrected = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)  # re-sent with the value already stored
    changes = models.JSONField(default=list, blank=True)  # a sample of the keys written
    errors = models.JSONField(default=list, blank=True)  # [{"row", "field", "message"}], the first MAX_ERRORS
    error_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)  # [{"row", "field", "message"}] to confirm
    warning_count = models.PositiveIntegerField(default=0)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="importjob_requester_latest")]

    def __str__(self) -> str:
        return f"Import {self.filename or self.pk} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
