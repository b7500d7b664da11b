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
from decisions.forms import DecisionLogForm
from decisions.models import Decision, EventKind
from governance.timezones import user_zone

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
    # The form itself refuses a review its user may not change (its choices are read when bound).
    posted = DecisionLogForm(_log_form(price_exception, org, review=review.pk), user=holders["manager_jp"])
    assert not posted.is_valid() and "review" in posted.errors
    mine = DecisionLogForm(_log_form(price_exception, org, review=review.pk), user=holders["manager_de"])
    mine.is_valid()
    assert "review" not in mine.errors and mine.cleaned_data["review"] == review
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


# --- actions link to the decisions and KPIs they serve ------------------------------------------


@pytest.fixture
def linked(holders, review, log_de, kpis, partner_a):
    """An action of the review, a shared and an internal decision of partnership A, REV co-owned by it."""
    from kpis.models import KPIOwnership
    from partners import services as partners

    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    now = timezone.now()
    action = partners.action_create(actor=holders["admin"], review=review, title="Brief the key accounts",
                                    owner=holders["manager_de"], due_date=timezone.localdate() + timedelta(days=9))
    return {"action": action, "shared": log_de(title="Joint promo budget", partnership=partner_a,
                                               visibility="shared", now=now),
            "internal": log_de(title="Internal margin floor", partnership=partner_a, now=now)}


def test_an_action_links_to_the_decisions_and_kpis_it_serves(client, holders, review, linked, kpis):
    action = linked["action"]
    client.force_login(holders["manager_de"])
    url = f"/decisions/review-actions/{action.pk}/links/"
    page = client.get(url).content.decode()
    assert "Joint promo budget" in page and "Internal margin floor" in page and "Rev (REV)" in page
    assert "Nps (NPS)" not in page  # not co-owned by the partnership
    response = client.post(url, {"decisions": [linked["shared"].pk, linked["internal"].pk], "kpis": [kpis["REV"].pk]})
    assert response.status_code == 302 and response["Location"] == f"/partners/reviews/{review.pk}/#actions"
    assert set(action.decisions.all()) == {linked["shared"], linked["internal"]}
    assert list(action.kpis.all()) == [kpis["REV"]]

    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    serves = page.split('data-testid="action-serves"')[1].split("</div>")[0]
    assert "Joint promo budget" in serves and "Internal margin floor" in serves and "Rev (REV)" in serves

    client.force_login(holders["partner"])
    page = client.get(f"/partners/reviews/{review.pk}/").content.decode()
    serves = page.split('data-testid="action-serves"')[1].split("</div>")[0]
    assert "Joint promo budget" in serves and "Rev (REV)" in serves
    assert "Internal margin floor" not in page and "/links/" not in page


def test_links_stay_within_the_partnership_and_with_those_who_may_change_the_review(
        client, holders, linked, kpis, log_de, partner_b):
    from decisions.services import action_links_set

    action = linked["action"]
    url = f"/decisions/review-actions/{action.pk}/links/"
    for who in ("manager_jp", "partner"):
        client.force_login(holders[who])
        assert client.get(url).status_code == 404
        assert client.post(url, {"decisions": [linked["shared"].pk]}).status_code == 404
    other = log_de(title="Elsewhere", now=timezone.now())  # no partnership
    client.force_login(holders["manager_de"])
    assert client.post(url, {"decisions": [other.pk], "kpis": [kpis["NPS"].pk]}).status_code == 400
    with pytest.raises(ValidationError) as err:
        action_links_set(actor=holders["manager_de"], action=action, decisions=[other], kpis=[kpis["NPS"]])
    assert set(err.value.message_dict) == {"decisions", "kpis"}
    assert not action.decisions.exists() and not action.kpis.exists()


# --- the next review's agenda --------------------------------------------------------------------


def _last_month() -> str:
    month = timezone.localdate().replace(day=1) - timedelta(days=1)
    return f"{month:%Y-%m}"


@pytest.fixture
def standing(holders, review, log_de, kpis, record, target, org, partner_a, partner_b):
    """Partnership A as it stands after the review: actions open (one overdue), done and elsewhere;
    decisions stuck (overdue shared, overdue internal, waiting on an agree) and not (agreed in time,
    decided, of another partnership); KPIs red, amber and green last month, and one off target for B."""
    from kpis.models import KPIOwnership
    from kpis.services.rollup import rollup_incremental
    from partners import services as partners

    # "Today" as the manager who drafts the agenda reads it (Berlin): near midnight UTC the site's
    # date and theirs differ, and the agenda counts days overdue in the reader's zone.
    now = timezone.now()
    admin, today = holders["admin"], timezone.localdate(now, user_zone(holders["manager_de"]))

    def act(title, due_in, r=review, owner="manager_de"):
        return partners.action_create(actor=admin, review=r, title=title, owner=holders[owner],
                                      due_date=today + timedelta(days=due_in))

    upcoming = act("Plan the joint webinar", 10, owner="partner")
    overdue = act("Send the tender file", -5)
    done = act("Share the price list", -20)
    partners.action_update(actor=admin, action=done, status="done")
    review_b = partners.review_create(actor=admin, partnership=partner_b, date=today, title="QBR B")
    act("Japan follow-up", -3, r=review_b, owner="manager_jp")

    old = now - timedelta(days=3)  # past the 24-hour SLA
    late_shared = log_de(title="Joint promo budget", partnership=partner_a, visibility="shared", now=old)
    late_internal = log_de(title="Internal margin floor", partnership=partner_a, now=old - timedelta(hours=1))
    # waiting on Compliance past its answer time (12 of the 24 hours); one just asked is not stuck yet
    waiting_shared = log_de(title="Co-branded flyer", partnership=partner_a, visibility="shared",
                            now=now - timedelta(hours=13))
    log_de(title="Just asked", partnership=partner_a, visibility="shared", now=now)
    agreed = log_de(title="Agreed and in time", partnership=partner_a, now=now)
    decisions.decision_agree(decision=agreed, actor=holders["compliance_de"], agree=True, now=now)
    decided = log_de(title="Decided already", partnership=partner_a, now=old)
    decisions.decision_agree(decision=decided, actor=holders["compliance_de"], agree=True, now=old)
    decided.refresh_from_db()
    decisions.decision_decide(decision=decided, actor=decided.decider, outcome="Go", now=old)
    log_de(title="Not this partnership", now=old)

    month = _last_month()
    for code, actual, goal, partnership in (("REV", 30, 40, partner_a), ("ACCTS", 9, 10, partner_a),
                                            ("NPS", 50, 40, partner_a), ("DAYS", 30, 10, partner_b)):
        KPIOwnership.objects.create(kpi=kpis[code], partnership=partnership, weight=1)
        unit = org["DE"] if partnership == partner_a else org["JP"]
        record(kpis[code], unit, month, value=actual, partnership=partnership)
        target(kpis[code], unit, month, goal, partnership=partnership)
    rollup_incremental()
    return {"overdue": overdue, "upcoming": upcoming, "late_shared": late_shared, "late_internal": late_internal,
            "waiting_shared": waiting_shared}


def _agenda(client, review_pk) -> dict[str, list[str]]:
    """The drafted agenda as the page shows it: per section, each line's text."""
    import re

    page = client.get(f"/partners/reviews/{review_pk}/").content.decode()
    out = {}
    for section in ("action", "decision", "kpi"):
        block = page.split(f'data-testid="agenda-{section}"')[1].split("</ol>")[0] if \
            f'data-testid="agenda-{section}"' in page else ""
        out[section] = [" ".join(re.sub(r"<[^>]+>", " ", li.split(">", 1)[1]).split()) for li in block.split("<li")[1:]]
    return out


def test_the_next_agenda_lists_open_actions_stuck_decisions_and_off_target_kpis(client, holders, review, standing,
                                                                                partner_a):
    from partners.models import BusinessReview

    partner_a.refresh_from_db()
    client.force_login(holders["manager_de"])
    assert "Draft next review" in client.get(f"/partners/reviews/{review.pk}/").content.decode()
    response = client.post(f"/reports/reviews/{review.pk}/agenda/draft/")
    planned = BusinessReview.objects.get(partnership=partner_a, status="planned")
    assert response.status_code == 302 and response["Location"] == f"/partners/reviews/{planned.pk}/#agenda"
    assert planned.date == partner_a.next_review_due  # the held review today + a quarter

    agenda = _agenda(client, planned.pk)
    assert agenda["action"] == ["Send the tender file · max.de overdue 5 days",
                                f"Plan the joint webinar · pat.partner due {standing['upcoming'].due_date:%d %b %Y}"]
    assert agenda["decision"] == [
        "Internal margin floor · Distributor price exception overdue waiting on an agree",
        "Joint promo budget · Distributor price exception overdue waiting on an agree",
        "Co-branded flyer · Distributor price exception waiting on an agree"]
    month = timezone.localdate().replace(day=1) - timedelta(days=1)
    assert agenda["kpi"] == [f"Rev · REV red attainment 75% {month:%b %Y}",
                             f"Accts · ACCTS amber attainment 90% {month:%b %Y}"]

    # Redrafting refills the same planned review (no second one) once an action is done.
    from partners import services as partners

    partners.action_update(actor=holders["admin"], action=standing["overdue"], status="done")
    client.post(f"/reports/reviews/{review.pk}/agenda/draft/")
    assert BusinessReview.objects.filter(partnership=partner_a, status="planned").count() == 1
    assert [line.split(" ·")[0] for line in _agenda(client, planned.pk)["action"]] == ["Plan the joint webinar"]


def test_the_partner_reads_the_shared_agenda_and_cannot_draft(client, holders, review, standing, partner_a):
    from partners.models import BusinessReview
    from reports.models import ReviewAgendaItem

    client.force_login(holders["manager_de"])
    client.post(f"/reports/reviews/{review.pk}/agenda/draft/")
    planned = BusinessReview.objects.get(partnership=partner_a, status="planned")
    drafted = ReviewAgendaItem.objects.filter(review=planned).count()

    client.force_login(holders["partner"])
    agenda = _agenda(client, planned.pk)
    assert [line.split(" ·")[0] for line in agenda["action"]] == ["Send the tender file", "Plan the joint webinar"]
    # Only the shared decision, and only for the reason the partner may know; none stuck for an internal one.
    assert agenda["decision"] == ["Joint promo budget · Distributor price exception overdue"]
    assert [line.split(" ·")[0] for line in agenda["kpi"]] == ["Rev", "Accts"]
    page = client.get(f"/partners/reviews/{planned.pk}/").content.decode()
    assert "Internal margin floor" not in page and "Co-branded flyer" not in page and "agenda/draft" not in page

    for who in ("partner", "manager_jp"):
        client.force_login(holders[who])
        assert client.post(f"/reports/reviews/{review.pk}/agenda/draft/").status_code == 404
    client.force_login(holders["manager_de"])
    assert client.get(f"/reports/reviews/{review.pk}/agenda/draft/").status_code == 405
    assert ReviewAgendaItem.objects.filter(review=planned).count() == drafted
    assert BusinessReview.objects.filter(partnership=partner_a, status="planned").count() == 1
