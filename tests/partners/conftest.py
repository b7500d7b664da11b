"""Partners fixtures on top of the shared cast: a review with actions in each partnership."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.decisions.conftest import holders, log_de, price_exception  # noqa: F401 - reused (commitments)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday; "today" in the tests is 2026-03-10
TODAY = NOW.date()


@pytest.fixture
def scores():
    def make(value=3, **overrides):
        base = {f: value for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing",
                                   "joint_planning", "value_delivery"]}
        base.update(overrides)
        return base

    return make


@pytest.fixture
def review_a(cast, partner_a):
    """A held QBR of partnership A with two actions: one for the DE manager, one for the partner user."""
    from partners import services

    review = services.review_create(actor=cast["admin"], partnership=partner_a, date=date(2026, 1, 15),
                                    title="Q1 review A", attendees=[cast["manager_de"], cast["partner"]])
    services.action_create(actor=cast["admin"], review=review, title="Send sell-out data",
                           owner=cast["partner"], due_date=date(2026, 2, 1))
    services.action_create(actor=cast["admin"], review=review, title="Agree account plan",
                           owner=cast["manager_de"], due_date=date(2026, 4, 1))
    return review


@pytest.fixture
def review_b(cast, partner_b):
    from partners import services

    review = services.review_create(actor=cast["admin"], partnership=partner_b, date=date(2026, 1, 20),
                                    title="Q1 review B")
    services.action_create(actor=cast["admin"], review=review, title="B-only action",
                           owner=cast["manager_jp"], due_date=date(2026, 2, 1))
    return review
