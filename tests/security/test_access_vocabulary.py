"""Issue 14, "one permission vocabulary": the attacks that worked while each call site chose
``visible_to`` or ``editable_by`` by hand. Each test is the attack, then what must hold.

Cast: ``max.de`` (manager, Germany), ``lena.leader`` (leader, EMEA: DE and AT), ``yuki.jp``
(manager, Japan), ``pat.partner`` (partner user of partnership A, Germany).
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from partners import services as partners

pytestmark = pytest.mark.django_db


@pytest.fixture
def de_at(cast, org, functions, partner_a):
    """A partnership spanning Germany and Austria, with a review, an action and an assessment.
    Max (DE) sees it; only Lena (EMEA: DE and AT) and admins hold every one of its units."""
    partnership = partners.partnership_create(
        actor=cast["admin"], partner=partner_a.partner, name="DACH roll-out", type="distribution",
        org_units=[org["DE"], org["AT"]], owner_function=functions["SALES"], start=date(2026, 1, 1))
    review = partners.review_create(actor=cast["admin"], partnership=partnership, date=date(2026, 2, 1), title="QBR")
    partners.action_create(actor=cast["admin"], review=review, title="Price list", owner=cast["manager_de"],
                           due_date=date(2026, 4, 1))
    partners.assessment_create(actor=cast["admin"], partnership=partnership,
                               scores=dict.fromkeys(["strategy_alignment", "shared_kpis", "governance",
                                                     "data_sharing", "joint_planning", "value_delivery"], 3))
    return partnership


def _children(partnership) -> tuple[int, int, int]:
    return (partnership.reviews.count(), partnership.review_actions.count(), partnership.assessments.count())


def test_a_manager_cannot_change_or_delete_a_partnership_with_a_unit_outside_their_scope(api, client, cast, de_at):
    max_de = api(cast["manager_de"])
    url = f"/api/v1/partnerships/{de_at.pk}/"
    assert max_de.get(url).status_code == 200  # he sees it: Germany is one of its units
    assert max_de.patch(url, {"name": "Mine now"}, format="json").status_code == 403
    assert max_de.put(url, {"name": "Mine now"}, format="json").status_code == 403
    assert max_de.delete(url).status_code == 403
    assert max_de.post(f"{url}share/", {"user": cast["manager_jp"].pk}, format="json").status_code == 403
    de_at.refresh_from_db()
    assert de_at.name == "DACH roll-out" and _children(de_at) == (1, 1, 1)  # nothing cascaded away
    # What he may still do: log against it (a review for Germany), and the page offers no edit or share.
    assert max_de.post("/api/v1/reviews/", {"partnership": de_at.pk, "date": "2026-03-01"},
                       format="json").status_code == 201
    client.force_login(cast["manager_de"])
    html = client.get(f"/partners/partnerships/{de_at.pk}/").content.decode()
    assert "Log a review" in html and "Shared with (read-only)" not in html
    assert client.post(f"/partners/partnerships/{de_at.pk}/share/", {"username": "yuki.jp"}).status_code == 403
    # Lena holds both units: she may.
    assert api(cast["leader"]).patch(url, {"name": "DACH roll-out 2026"}, format="json").status_code == 200


def test_deleting_a_partnership_cascades_only_for_someone_who_holds_all_its_units(api, cast, de_at):
    assert api(cast["manager_de"]).delete(f"/api/v1/partnerships/{de_at.pk}/").status_code == 403
    assert _children(de_at) == (1, 1, 1)
    from partners.models import Partnership

    assert api(cast["leader"]).delete(f"/api/v1/partnerships/{de_at.pk}/").status_code == 204
    assert not Partnership.objects.filter(pk=de_at.pk).exists()


def test_a_manager_cannot_change_or_delete_a_partner_that_serves_units_outside_their_scope(api, cast, org, de_at):
    partner = de_at.partner  # also partner of partnership A (DE only), and now of DE+AT
    max_de = api(cast["manager_de"])
    assert max_de.get(f"/api/v1/partners/{partner.pk}/").status_code == 200
    assert max_de.patch(f"/api/v1/partners/{partner.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert max_de.delete(f"/api/v1/partners/{partner.pk}/").status_code == 403
    covering = partners.partner_create(actor=cast["admin"], name="Alpine Clinics", kind="hospital",
                                       org_units=[org["DE"], org["AT"]])
    assert max_de.patch(f"/api/v1/partners/{covering.pk}/", {"status": "on_hold"}, format="json").status_code == 403
    assert max_de.delete(f"/api/v1/partners/{covering.pk}/").status_code == 403
    partner.refresh_from_db()
    covering.refresh_from_db()
    assert partner.name == "MedDistrib GmbH" and covering.status == "active"
    assert api(cast["leader"]).patch(f"/api/v1/partners/{covering.pk}/", {"status": "on_hold"},
                                     format="json").status_code == 200


@pytest.fixture
def shared_with_yuki(cast, partner_a):
    """Partnership A (Germany) shared read-only with Yuki, a manager in Japan."""
    partners.partnership_share(actor=cast["manager_de"], partnership=partner_a, user=cast["manager_jp"])
    return partner_a


def test_a_read_only_share_lets_the_colleague_look_but_not_log_measurements(api, cast, world, shared_with_yuki):
    from kpis.models import Measurement

    yuki, a = api(cast["manager_jp"]), shared_with_yuki
    assert yuki.get(f"/api/v1/partnerships/{a.pk}/").status_code == 200
    before = Measurement.objects.filter(partnership=a).count()
    row = {"kpi": "KA", "org_unit": "JP", "partnership": a.pk, "period": "2026-02", "value": "5"}
    assert yuki.post("/api/v1/measurements/", row, format="json").status_code in (400, 404)
    assert yuki.post("/api/v1/measurements/", [row], format="json").status_code == 400
    upload = io.BytesIO(f"kpi,org_unit,partnership,period,value,numerator,denominator\nKA,JP,{a.pk},2026-02,5,,\n"
                        .encode())
    upload.name = "m.csv"
    assert yuki.post("/api/v1/measurements/import/", {"file": upload}, format="multipart").status_code == 400
    assert Measurement.objects.filter(partnership=a).count() == before
    # ...so nothing new appears on the partner's side.
    portal = api(cast["partner"]).get(f"/api/v1/measurements/?partnership={a.pk}").json()["results"]
    assert {m["org_unit"] for m in portal} == {"DE"}


def test_a_read_only_share_lets_the_colleague_look_but_not_log_decisions(api, client, cast, world, shared_with_yuki):
    from decisions.models import Decision

    a, before = shared_with_yuki, Decision.objects.count()
    response = api(cast["manager_jp"]).post("/api/v1/decisions/", {
        "title": "Japan promo on A", "decision_type": "DTB", "org_unit": "JP", "partnership": a.pk,
        "priority": "normal"}, format="json")
    assert response.status_code == 400 and "partnership" in response.json()
    client.force_login(cast["manager_jp"])
    form = client.get("/decisions/new/").content.decode()
    assert "Partnership A" not in form  # the log form does not offer it
    posted = client.post("/decisions/new/", {"title": "Japan promo on A", "decision_type": world.b["decision_type"].pk,
                                             "org_unit": world.org["JP"].pk, "partnership": a.pk,
                                             "priority": "normal"})
    assert posted.status_code == 200  # the form again, with an error
    assert Decision.objects.count() == before
    assert not Decision.objects.filter(partnership=a, requested_by=cast["manager_jp"]).exists()


def test_a_read_only_share_gives_no_reviews_assessments_or_edits(api, client, cast, shared_with_yuki):
    yuki, a = api(cast["manager_jp"]), shared_with_yuki
    assert yuki.post("/api/v1/reviews/", {"partnership": a.pk, "date": "2026-03-01"}, format="json").status_code == 403
    scores = dict.fromkeys(["strategy_alignment", "shared_kpis", "governance", "data_sharing", "joint_planning",
                            "value_delivery"], 2)
    assert yuki.post("/api/v1/assessments/", {"partnership": a.pk, **scores}, format="json").status_code == 403
    assert yuki.patch(f"/api/v1/partnerships/{a.pk}/", {"name": "x"}, format="json").status_code == 403
    client.force_login(cast["manager_jp"])
    page = client.get(f"/partners/partnerships/{a.pk}/").content.decode()
    assert "Log a review" not in page and "Assess maturity" not in page
    assert client.get(f"/partners/partnerships/{a.pk}/reviews/new/").status_code == 403
    assert a.reviews.count() == 0 and a.assessments.count() == 0


def test_people_outside_the_callers_view_read_like_ids_that_do_not_exist(api, cast, partner_a, world):
    """Attendees, action owners and reassignments: naming someone you cannot see answers exactly
    like naming nobody — no way to enumerate who exists or learn their names."""
    from governance.models import User

    max_de = api(cast["manager_de"])
    ghost = User.objects.order_by("-pk").first().pk + 1000
    for person in (cast["manager_jp"].pk, ghost):
        review = max_de.post("/api/v1/reviews/", {"partnership": partner_a.pk, "date": "2026-02-11",
                                                  "attendees": [person]}, format="json")
        action = max_de.post("/api/v1/review-actions/", {"review": world.a["review"].pk, "title": "x",
                                                         "owner": person, "due_date": "2026-03-01"}, format="json")
        assert review.status_code == action.status_code == 400
        assert "yuki" not in review.content.decode() + action.content.decode()
        assert review.json()["attendees"][0].replace(str(person), "N") == \
            "No person N you can see. To involve a colleague from elsewhere, share the partnership: " \
            "share it with them first."
    shares = [max_de.post(f"/api/v1/partnerships/{partner_a.pk}/share/", {"user": p}, format="json")
              for p in (cast["partner"].pk, ghost)]  # a partner user reads as nobody, too
    assert [r.status_code for r in shares] == [400, 400]
    assert shares[0].json()["user"][0].replace(str(cast["partner"].pk), "N") == \
        shares[1].json()["user"][0].replace(str(ghost), "N")
