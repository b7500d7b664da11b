"""Reads for the partner pages: the directory, maturity (level, gap, trend) and the queues."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Prefetch

from governance.models import OrgUnit, User
from partners.models import (
    DIMENSION_FIELDS,
    DIMENSIONS,
    MATURITY_LEVELS,
    ActionStatus,
    AssessmentSide,
    BusinessReview,
    MaturityAssessment,
    Partner,
    Partnership,
    ReviewAction,
)

# --- maturity ----------------------------------------------------------------------------------


def maturity_level(average: float | None) -> int | None:
    """Level 1–5 from an average score: a partnership *reaches* a level when its average does
    (3.9 is still level 3, Collaborative). Rounded to 2 decimals first so 2.9999… counts as 3."""
    if average is None:
        return None
    return max(1, min(5, math.floor(round(average, 2))))


@dataclass
class DimensionGap:
    field: str
    label: str
    internal: int | None
    partner: int | None

    @property
    def gap(self) -> int | None:
        """Internal minus partner: positive when we rate the partnership higher than they do."""
        if self.internal is None or self.partner is None:
            return None
        return self.internal - self.partner

    @property
    def combined(self) -> float | None:
        views = [v for v in (self.internal, self.partner) if v is not None]
        return sum(views) / len(views) if views else None


@dataclass
class TrendPoint:
    assessed_at: str
    side: str
    average: float


@dataclass
class Maturity:
    internal: MaturityAssessment | None
    partner: MaturityAssessment | None
    dimensions: list[DimensionGap]
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        """Mean over dimensions of both sides' latest views (one side alone when that is all there is)."""
        values = [d.combined for d in self.dimensions if d.combined is not None]
        return sum(values) / len(values) if values else None

    @property
    def level(self) -> int | None:
        return maturity_level(self.average)

    @property
    def level_name(self) -> str:
        return MATURITY_LEVELS.get(self.level, "Not assessed")

    @property
    def max_abs_gap(self) -> int | None:
        gaps = [abs(d.gap) for d in self.dimensions if d.gap is not None]
        return max(gaps) if gaps else None

    def chart_data(self) -> dict:
        """Radar: latest score per dimension and side. Trend: per month, each side's average in its
        latest assessment of that month (both sides usually assess a few days apart)."""
        by_month: dict[str, dict[str, float]] = {}
        for point in self.trend:  # oldest first, so a later assessment in the month wins
            by_month.setdefault(point.assessed_at[:7], {})[point.side] = round(point.average, 2)
        months = sorted(by_month)
        return {
            "labels": [_wrap(label) for _, label in DIMENSIONS],
            "internal": [d.internal for d in self.dimensions],
            "partner": [d.partner for d in self.dimensions],
            "trend": {
                "months": months,
                "internal": [by_month[m].get(AssessmentSide.INTERNAL) for m in months],
                "partner": [by_month[m].get(AssessmentSide.PARTNER) for m in months],
            },
        }


def _wrap(label: str) -> list[str] | str:
    """Two-line radar labels keep the chart large in a half-width card."""
    words = label.split(" ")
    if len(words) < 3:
        return label
    half = (len(words) + 1) // 2
    return [" ".join(words[:half]), " ".join(words[half:])]


def maturity_from(assessments: list[MaturityAssessment]) -> Maturity:
    """Level, gap and trend from a partnership's assessments (any order)."""
    ordered = sorted(assessments, key=lambda a: (a.assessed_at, a.pk))
    latest = {}
    for a in ordered:
        latest[a.side] = a
    internal, partner = latest.get(AssessmentSide.INTERNAL), latest.get(AssessmentSide.PARTNER)
    dimensions = [
        DimensionGap(field=f, label=label, internal=getattr(internal, f, None), partner=getattr(partner, f, None))
        for f, label in DIMENSIONS
    ]
    trend = [TrendPoint(assessed_at=a.assessed_at.date().isoformat(), side=a.side, average=a.average)
             for a in ordered]
    return Maturity(internal=internal, partner=partner, dimensions=dimensions, trend=trend)


def partnership_maturity(partnership: Partnership) -> Maturity:
    return maturity_from(list(MaturityAssessment.objects.filter(partnership=partnership)))


def latest_levels(partnership_ids: list[int]) -> dict[int, int | None]:
    """Maturity level of many partnerships in one query (directory, partner page): the level needs
    only each side's latest assessment, so only those are read."""
    by_partnership: dict[int, list[MaturityAssessment]] = {}
    rows = (MaturityAssessment.objects.filter(partnership_id__in=partnership_ids)
            .order_by("partnership_id", "side", "-assessed_at", "-pk").distinct("partnership_id", "side")
            .only("partnership_id", "side", "assessed_at", *DIMENSION_FIELDS))
    for a in rows:
        by_partnership.setdefault(a.partnership_id, []).append(a)
    return {pid: maturity_from(by_partnership.get(pid, [])).level for pid in partnership_ids}


# --- directory ---------------------------------------------------------------------------------


def directory(user: User, *, q: str = "", kind: str = "", status: str = "", type: str = "",  # noqa: A002
              org_unit: OrgUnit | None = None) -> models.QuerySet:
    """The partners ``user`` may see, filtered, with their visible partnerships prefetched."""
    partners = Partner.objects.restrict(user, "view")
    partnerships = Partnership.objects.restrict(user, "view")
    if q:
        partners = partners.filter(
            models.Q(name__icontains=q)
            | models.Q(pk__in=partnerships.filter(name__icontains=q).values("partner_id"))
        )
    if kind:
        partners = partners.filter(kind=kind)
    if status:
        partners = partners.filter(status=status)
    if type:
        partners = partners.filter(pk__in=partnerships.filter(type=type).values("partner_id"))
    if org_unit is not None:
        subtree = OrgUnit.objects.subtree_of(org_unit).values("pk")
        partners = partners.filter(
            models.Q(pk__in=Partner.org_units.through.objects.filter(orgunit_id__in=subtree).values("partner_id"))
            | models.Q(pk__in=partnerships.filter(org_units__in=subtree).values("partner_id"))
        )
    return partners.order_by("name").prefetch_related(
        "org_units",
        Prefetch("partnerships", queryset=partnerships.order_by("name"), to_attr="visible_partnerships"),
    )


# --- queues ------------------------------------------------------------------------------------


def my_actions(user: User) -> models.QuerySet:
    """The user's actions (in partnerships they can see), open first then by due date."""
    return (
        ReviewAction.objects.restrict(user, "view").filter(owner=user)
        .select_related("partnership", "review")
        .order_by(models.Case(models.When(status=ActionStatus.OPEN, then=0), default=1), "due_date", "pk")
    )


@dataclass
class ReviewsAndActions:
    """A partnership's business reviews, newest first, each with ``attendee_count`` and
    ``follow_ups`` (its actions by due date, owners loaded), and its open actions by due date."""

    reviews: list[BusinessReview]
    open_actions: list[ReviewAction]


def partnership_reviews_and_actions(partnership: Partnership) -> ReviewsAndActions:
    """The partnership page's reviews and actions in two queries: the reviews (attendees counted,
    not loaded) and every action of the partnership once (an action's ``partnership`` is its
    review's), shared out to its review and to the open list."""
    reviews = list(partnership.reviews.annotate(attendee_count=models.Count("attendees")).order_by("-date"))
    by_review: dict[int, BusinessReview] = {}
    for review in reviews:
        review.follow_ups = []
        by_review[review.pk] = review
    open_: list[ReviewAction] = []
    actions = ReviewAction.objects.filter(partnership=partnership).select_related("owner").order_by("due_date", "pk")
    for action in actions:
        review = by_review.get(action.review_id)
        if review is not None:
            action.review = review
            review.follow_ups.append(action)
        if action.status == ActionStatus.OPEN:
            open_.append(action)
    return ReviewsAndActions(reviews=reviews, open_actions=open_)
