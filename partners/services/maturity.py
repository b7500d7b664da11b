"""Writes to maturity assessments: each side records and corrects its own view."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance.models import User
from governance.querysets import CHANGE, DELETE, LOG
from partners.models import DIMENSION_FIELDS, AssessmentSide, MaturityAssessment, Partnership
from partners.services.scope import require, require_internal_writer


def _check_scores(scores: dict[str, int]) -> dict[str, int]:
    missing = [f for f in DIMENSION_FIELDS if f not in scores]
    errors = {f: "Score this dimension from 1 to 5." for f in missing}
    errors.update({f: "Scores run from 1 to 5." for f in DIMENSION_FIELDS
                   if f in scores and not (isinstance(scores[f], int) and 1 <= scores[f] <= 5)})
    if errors:
        raise ValidationError(errors)
    return {f: scores[f] for f in DIMENSION_FIELDS}


def _clean_comments(comments: dict | None) -> dict[str, str]:
    comments = comments or {}
    unknown = set(comments) - set(DIMENSION_FIELDS)
    if unknown:
        raise ValidationError({"comments": f"Unknown dimensions: {', '.join(sorted(unknown))}."})
    return {k: str(v).strip() for k, v in comments.items() if str(v).strip()}


def _assessment_side_for(actor: User, partnership: Partnership) -> str:
    """Partner users assess the partner side of their own partnerships; internal users who may log
    against the partnership assess the internal side."""
    if actor.is_partner:
        require(actor, LOG, partnership, "You are not a member of this partnership.")
        return AssessmentSide.PARTNER
    require_internal_writer(actor)
    require(actor, LOG, partnership, "You may not assess this partnership.")
    return AssessmentSide.INTERNAL


@transaction.atomic
def assessment_create(
    *, actor: User, partnership: Partnership, scores: dict[str, int], comments: dict | None = None,
    summary: str = "", now: datetime | None = None,
) -> MaturityAssessment:
    """Record the actor's side's view of the partnership's maturity."""
    side = _assessment_side_for(actor, partnership)
    assessment = MaturityAssessment(
        partnership=partnership, side=side, assessed_at=now or timezone.now(), assessed_by=actor,
        comments=_clean_comments(comments), summary=summary, **_check_scores(scores),
    )
    assessment.save()
    return assessment


@transaction.atomic
def assessment_update(
    *, actor: User, assessment: MaturityAssessment, scores: dict[str, int] | None = None,
    comments: dict | None = None, summary: str | None = None,
) -> MaturityAssessment:
    """Correct an assessment; only its own side may (partner users: their side of their partnership)."""
    require(actor, CHANGE, assessment, "You may only change your own side's assessment.")
    if scores is not None:
        merged = {**assessment.scores, **scores}
        for name, value in _check_scores(merged).items():
            setattr(assessment, name, value)
    if comments is not None:
        assessment.comments = _clean_comments(comments)
    if summary is not None:
        assessment.summary = summary
    assessment.save()
    return assessment


@transaction.atomic
def assessment_delete(*, actor: User, assessment: MaturityAssessment) -> None:
    require(actor, DELETE, assessment, "Only admins delete assessments; correct them instead.")
    assessment.delete()
