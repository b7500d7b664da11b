"""Maturity: the level from both sides' latest views, the gap per dimension, the trend."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partners import services
from partners.selectors import maturity_level, partnership_maturity

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("average", "level"), [
    (1.0, 1), (1.99, 1), (2.0, 2), (2.999, 3), (3.5, 3), (3.99, 3), (4.0, 4), (5.0, 5), (None, None),
])
def test_level_is_reached_when_the_average_reaches_it(average, level):
    assert maturity_level(average) == level


def test_gap_is_internal_minus_partner_per_dimension_from_the_latest_views(cast, partner_a, scores):
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(1), now=NOW)
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a,
                               scores=scores(4, data_sharing=5, governance=3), now=NOW + timedelta(days=30))
    services.assessment_create(actor=cast["partner"], partnership=partner_a,
                               scores=scores(3, data_sharing=2, governance=4), now=NOW + timedelta(days=31))

    maturity = partnership_maturity(partner_a)
    gaps = {d.field: d.gap for d in maturity.dimensions}
    assert gaps == {"strategy_alignment": 1, "shared_kpis": 1, "governance": -1, "data_sharing": 3,
                    "joint_planning": 1, "value_delivery": 1}
    assert maturity.max_abs_gap == 3
    # combined per dimension: 3.5, 3.5, 3.5, 3.5, 3.5, 3.5 → average 3.5 → level 3
    assert maturity.average == pytest.approx(3.5)
    assert (maturity.level, maturity.level_name) == (3, "Collaborative")
    assert [(p.side, round(p.average, 2)) for p in maturity.trend] == [
        ("internal", 1.0), ("internal", 4.0), ("partner", 3.0)]


def test_one_side_alone_gives_a_level_but_no_gap(cast, partner_a, scores):
    services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(5))
    maturity = partnership_maturity(partner_a)
    assert maturity.level == 5 and maturity.max_abs_gap is None
    assert all(d.gap is None and d.internal is None for d in maturity.dimensions)


def test_no_assessment_means_not_assessed(partner_a):
    maturity = partnership_maturity(partner_a)
    assert maturity.level is None and maturity.level_name == "Not assessed"


def test_scores_outside_one_to_five_are_refused(cast, partner_a, scores):
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(3, governance=6))
    assert "governance" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.assessment_create(actor=cast["manager_de"], partnership=partner_a,
                                   scores={"governance": 3})


def test_each_side_corrects_only_its_own_assessment(cast, partner_a, scores):
    ours = services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(3))
    with pytest.raises(PermissionDenied):
        services.assessment_update(actor=cast["partner"], assessment=ours, scores={"governance": 1})
    services.assessment_update(actor=cast["manager_de"], assessment=ours, scores={"governance": 4})
    ours.refresh_from_db()
    assert ours.governance == 4 and ours.history.count() == 2


def test_api_reports_level_and_gaps(api, cast, partner_a, scores):
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(4))
    services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(2))
    body = api(cast["leader"]).get(f"/api/v1/partnerships/{partner_a.pk}/maturity/").json()
    assert body["level"] == 3 and body["average"] == 3.0
    assert {d["dimension"]: d["gap"] for d in body["dimensions"]}["governance"] == 2


def test_partnership_page_shows_radar_data_and_gap(client, cast, partner_a, scores):
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(4))
    services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(2))
    client.force_login(cast["manager_de"])
    response = client.get(f"/partners/partnerships/{partner_a.pk}/")
    html = response.content.decode()
    assert response.context["chart_data"]["internal"] == [4] * 6
    assert response.context["chart_data"]["partner"] == [2] * 6
    assert 'id="maturity-radar"' in html and "L3 · Collaborative" in html and "+2" in html


def test_trend_groups_both_sides_by_month(cast, partner_a, scores):
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(2), now=NOW)
    services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(1),
                               now=NOW + timedelta(days=3))
    services.assessment_create(actor=cast["manager_de"], partnership=partner_a, scores=scores(4),
                               now=NOW + timedelta(days=60))
    trend = partnership_maturity(partner_a).chart_data()["trend"]
    assert trend == {"months": ["2026-03", "2026-05"], "internal": [2.0, 4.0], "partner": [1.0, None]}
