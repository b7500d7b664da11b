"""Issue 16, "Reviews that produce decisions": a decision taken in a business review is logged as a
real decision (routing, SLA, timeline) linked to the review and listed on its page — for the partner
only when shared; review actions link to the decisions and KPIs they serve; the next review's agenda
is drafted from open actions, stuck decisions and off-target KPIs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from decisions import services as decisions
from decisions.models import Decision, EventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(holders, partner_a):
    from partners import services as partners

    return partners.review_create(actor=holders["admin"], partnership=partner_a, date=timezone.localdate(),
                                  title="QBR with MedDistrib")


def _log_form(price_exception, org, **extra):
    return {"title": "Extend the tender discount", "decision_type": price_exception.pk, "org_unit": org["DE"].pk,
            "priority": "normal", "visibility": "internal", **extra}


# --- a decision taken in the review -----------------------------------------------------------


def test_logging_from_a_review_routes_a_real_decision_linked_to_it(client, holders, review, price_exception, org,
                                                                    partner_a):
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/new/?review={review.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert (form.initial["review"], form.initial["partnership"], form.initial["org_unit"]) == (
        review.pk, partner_a.pk, org["DE"].pk)
    assert b"QBR with MedDistrib" in page.content

    before = timezone.now()
    response = client.post(f"/decisions/new/?review={review.pk}",
                           _log_form(price_exception, org, review=review.pk, partnership=partner_a.pk))
    assert response.status_code == 302 and response["Location"] == f"/partners/reviews/{review.pk}/#decisions"
    d = Decision.objects.get(title="Extend the tender discount")
    assert (d.review_id, d.partnership_id, d.org_unit_id, d.status) == (review.pk, partner_a.pk, org["DE"].pk, "open")
    # Routing from the matrix: SALES@DE decides, COMPLIANCE agrees, ACCESS gives input, FINANCE recommends.
    assert d.decider == holders["manager_de"] and d.decider_function.code == "SALES"
    assert sorted(d.participants.values_list("user__username", "role")) == [
        ("anna.access", "I"), ("carla.compliance", "A"), ("fritz.finance", "R"), ("max.de", "D")]
    assert timedelta(hours=23, minutes=59) < d.sla_due_at - before <= timedelta(hours=24, minutes=1)  # 24 h SLA
    logged = d.events.get(kind=EventKind.LOGGED)
    assert logged.data["review"] == review.pk


def test_review_page_lists_its_decisions_the_partner_only_shared_ones(client, holders, review, log_de, partner_a):
    now = timezone.now()
    log_de(title="Joint promo budget", review=review, visibility="shared", now=now)
    log_de(title="Internal margin floor", review=review, now=now)
    log_de(title="Unrelated pricing call", partnership=partner_a, now=now)  # same partnership, not this review

    client.force_login(holders["manager_de"])
    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    assert "Joint promo budget" in page and "Internal margin floor" in page
    assert "Unrelated pricing call" not in page
    assert f"/decisions/new/?review={review.pk}" in page  # may log another

    client.force_login(holders["partner"])
    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    assert "Joint promo budget" in page
    assert "Internal margin floor" not in page and "Max" not in page  # nor who decides
    assert "/decisions/new/" not in page


def test_only_those_who_may_change_the_review_log_from_it(client, holders, review, price_exception, org, log_de,
                                                         partner_b):
    for who in ("manager_jp", "partner"):
        client.force_login(holders[who])
        assert client.get(f"/decisions/new/?review={review.pk}").status_code == 404
        assert client.post(f"/decisions/new/?review={review.pk}",
                           _log_form(price_exception, org, review=review.pk)).status_code == 404
    client.force_login(holders["manager_de"])
    assert client.get("/decisions/new/?review=abc").status_code == 404
    assert not Decision.objects.exists()
    with pytest.raises(ValidationError) as err:
        decisions.decision_log(actor=holders["manager_jp"], decision_type=price_exception, org_unit=org["JP"],
                               title="Sneaky", review=review)
    assert "review" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        log_de(title="Wrong partnership", review=review, partnership=partner_b)
    assert "partnership" in err.value.message_dict
    assert not Decision.objects.exists()
