"""External partners and the governed partnerships Accord tracks with them."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import m2m_changed
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from governance.querysets import scope_inputs_changed
from partners.choices import (
    ActionStatus,
    AssessmentSide,
    PartnerKind,
    PartnershipStatus,
    PartnershipType,
    PartnerStatus,
    ReviewCadence,
    ReviewKind,
    ReviewStatus,
)
from partners.querysets import (
    MaturityAssessmentQuerySet,
    PartnerQuerySet,
    PartnershipChildQuerySet,
    PartnershipQuerySet,
    ReviewActionQuerySet,
)


class Partner(models.Model):
    """An external organisation: distributor, GPO, hospital/IDN, digital-health company, …"""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    status = models.CharField(max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    org_units = models.ManyToManyField("governance.OrgUnit", blank=True, related_name="partners")
    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was archived: kept for history, no longer offered for new records.")

    objects = PartnerQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[org_units])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partnership(models.Model):
    """A governed relationship with a partner (distribution, co-promotion, licensing, …)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="partnerships")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=32, choices=PartnershipType.choices)
    org_units = models.ManyToManyField("governance.OrgUnit", related_name="partnerships")
    owner_function = models.ForeignKey(
        "governance.Function", on_delete=models.PROTECT, related_name="owned_partnerships"
    )
    functions = models.ManyToManyField("governance.Function", blank=True, related_name="partnerships")
    status = models.CharField(
        max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    review_cadence = models.CharField(
        max_length=16, choices=ReviewCadence.choices, default=ReviewCadence.QUARTERLY
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partnerships",
        help_text="Partner users who may log in and see this partnership.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="partnerships_owned", help_text="The internal relationship owner (gets review reminders).",
    )
    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was archived: kept for history, no longer offered for new records.")
    # Deadline kept in the database (derived by services from the last held review and the
    # cadence) so the overdue sweep is one indexed query.
    next_review_due = models.DateField(null=True, blank=True, editable=False)
    # Compare-and-set flag: the due date whose overdue notice has been sent.
    review_overdue_flagged_for = models.DateField(null=True, blank=True, editable=False)

    objects = PartnershipQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[org_units, functions, members], excluded_fields=["next_review_due", "review_overdue_flagged_for"]
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # The review sweep: governed partnerships whose next review is past due.
            models.Index(
                fields=["next_review_due"], name="partnership_review_due",
                condition=models.Q(status__in=["active", "under_review"]),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_governed(self) -> bool:
        """Reviews are expected while a partnership is active or under review."""
        return self.status in GOVERNED_STATUSES

    def review_overdue(self, today: date) -> bool:
        return self.is_governed and self.next_review_due is not None and self.next_review_due < today


# A partner user's partnerships are cached per user object (governance.querysets.member_partnership_ids).
m2m_changed.connect(scope_inputs_changed, sender=Partnership.members.through,
                    dispatch_uid="partners.scope_inputs_changed.members")

GOVERNED_STATUSES = (PartnershipStatus.ACTIVE, PartnershipStatus.UNDER_REVIEW)
CADENCE_MONTHS = {ReviewCadence.MONTHLY: 1, ReviewCadence.QUARTERLY: 3, ReviewCadence.SEMIANNUAL: 6,
                  ReviewCadence.ANNUAL: 12}


# --- Per-object sharing (django-guardian, direct foreign keys) ----------------------------------


class PartnershipUserObjectPermission(UserObjectPermissionBase):
    """A partnership shared with one user (e.g. an internal expert outside its org scope)."""

    content_object = models.ForeignKey(Partnership, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class PartnershipGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Partnership, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


# --- Maturity -----------------------------------------------------------------------------------


# (field name, label) — both sides score the same dimensions.
DIMENSIONS = [
    ("strategy_alignment", "Strategy alignment"),
    ("shared_kpis", "Shared KPIs"),
    ("governance", "Governance & decision rights"),
    ("data_sharing", "Data sharing"),
    ("joint_planning", "Joint planning"),
    ("value_delivery", "Value delivery"),
]
DIMENSION_FIELDS = [name for name, _ in DIMENSIONS]

MATURITY_LEVELS = {1: "Transactional", 2: "Cooperative", 3: "Collaborative", 4: "Integrated", 5: "Strategic"}


def _score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, validators=[MinValueValidator(1), MaxValueValidator(5)])


class MaturityAssessment(models.Model):
    """One side's scoring of a partnership on every dimension (1–5), with comments per dimension.

    The internal team and the partner each assess; comparing their latest views gives the gap,
    and the history gives the trend.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="assessments")
    side = models.CharField(max_length=16, choices=AssessmentSide.choices)
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="maturity_assessments"
    )
    strategy_alignment = _score_field("Strategy alignment")
    shared_kpis = _score_field("Shared KPIs")
    governance = _score_field("Governance & decision rights")
    data_sharing = _score_field("Data sharing")
    joint_planning = _score_field("Joint planning")
    value_delivery = _score_field("Value delivery")
    comments = models.JSONField(default=dict, blank=True, help_text="Comment per dimension: {dimension: text}.")
    summary = models.TextField(blank=True)

    objects = MaturityAssessmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{f}__gte": 1, f"{f}__lte": 5}), name=f"maturity_{f}_1_to_5"
            )
            for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing", "joint_planning",
                      "value_delivery"]
        ]
        # The partnership page and the gap: latest assessment per side, then the trend.
        indexes = [models.Index(fields=["partnership", "side", "-assessed_at"], name="assessment_latest")]

    def __str__(self) -> str:
        return f"{self.partnership} — {self.get_side_display()} {self.assessed_at:%Y-%m-%d}"

    @property
    def scores(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in DIMENSION_FIELDS}

    @property
    def average(self) -> float:
        return sum(self.scores.values()) / len(DIMENSION_FIELDS)


# --- Business reviews ---------------------------------------------------------------------------


class BusinessReview(models.Model):
    """A QBR or joint-planning forum of a partnership. The last *held* review and the cadence
    set the partnership's ``next_review_due``."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="reviews")
    date = models.DateField()
    kind = models.CharField(max_length=32, choices=ReviewKind.choices, default=ReviewKind.QBR)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.HELD)
    title = models.CharField(max_length=200, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="business_reviews",
        help_text="Internal users and the partnership's partner users who attended.",
    )
    agenda = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PartnershipChildQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["-date", "-pk"]
        # next_review_due: the latest held review of a partnership.
        indexes = [models.Index(fields=["partnership", "status", "-date"], name="review_latest")]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.date:%Y-%m-%d}"


class ReviewAction(models.Model):
    """A follow-up action agreed in a business review, with an owner and a due date."""

    review = models.ForeignKey(BusinessReview, on_delete=models.CASCADE, related_name="actions")
    # Denormalised from the review: scoping, the partnership page and the sweep need no join.
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="review_actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_actions")
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    # Compare-and-set flag: set once by the sweep when the action goes overdue.
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ReviewActionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["overdue_flagged_at"])

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            # The sweep: open, not yet flagged, past due.
            models.Index(
                fields=["due_date"], name="reviewaction_open_due",
                condition=models.Q(status="open", overdue_flagged_at__isnull=True),
            ),
            # "My actions": an owner's open actions by due date.
            models.Index(fields=["owner", "status", "due_date"], name="reviewaction_owner_queue"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date) -> bool:
        return self.status == ActionStatus.OPEN and self.due_date < today


# Peer benchmarks (issue 19) keep their models in their own module; importing it registers them.
from partners.benchmarks.models import PeerCohort, PeerPosition  # noqa: E402, F401
from partners.commitments.models import Commitment  # noqa: E402, F401
from partners.enablement.models import EnablementItem, EnablementKind  # noqa: E402, F401
