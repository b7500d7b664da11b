"""The partners API: the trio (401 / 403 / 404), scoped lists, writes with history, pinned queries."""

from datetime import date

import pytest

from partners import services
from partners.models import MaturityAssessment, Partner, Partnership, ReviewAction

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/partners/", "/api/v1/partnerships/", "/api/v1/assessments/", "/api/v1/reviews/",
         "/api/v1/review-actions/"]


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def partnership_payload(**overrides):
    return {"name": "New DE deal", "type": "co_promotion", "org_units": ["DE"], "owner_function": "SALES",
            "functions": ["MKT"], "status": "active", "start": "2026-01-01", "review_cadence": "quarterly",
            **overrides}


def test_anonymous_gets_401_everywhere(api, partner_a):
    for url in [*LISTS, f"/api/v1/partnerships/{partner_a.pk}/"]:
        assert api().get(url).status_code == 401, url
        assert api().post(url if url.endswith("s/") else LISTS[1], {}, format="json").status_code == 401


def test_lists_are_scoped(api, cast, partner_a, partner_b, review_a, review_b):
    assert ids(api(cast["admin"]).get("/api/v1/partnerships/")) == sorted([partner_a.pk, partner_b.pk])
    assert ids(api(cast["leader"]).get("/api/v1/partnerships/")) == [partner_a.pk]
    assert ids(api(cast["manager_jp"]).get("/api/v1/partnerships/")) == [partner_b.pk]
    assert ids(api(cast["manager_jp"]).get("/api/v1/reviews/")) == [review_b.pk]
    assert ids(api(cast["manager_de"]).get("/api/v1/partners/")) == [partner_a.partner_id]
    assert api(cast["manager_jp"]).get(f"/api/v1/partnerships/{partner_a.pk}/").status_code == 404
    assert api(cast["manager_jp"]).get(f"/api/v1/reviews/{review_a.pk}/").status_code == 404


def test_partnership_representation_follows_api_md(api, cast, partner_a, functions):
    partner_a.functions.set([functions["ACCESS"]])
    body = api(cast["leader"]).get(f"/api/v1/partnerships/{partner_a.pk}/").json()
    assert body["partner"] == partner_a.partner_id and body["org_units"] == ["DE"]
    assert body["owner_function"] == "SALES" and body["functions"] == ["ACCESS"]
    assert {"type", "status", "start", "end", "name", "review_cadence", "members"} <= set(body)


def test_manager_creates_a_partnership_in_scope_with_history(api, cast, partner_a):
    response = api(cast["manager_de"]).post("/api/v1/partnerships/",
                                            partnership_payload(partner=partner_a.partner_id), format="json")
    assert response.status_code == 201, response.json()
    created = Partnership.objects.get(pk=response.json()["id"])
    assert created.next_review_due == date(2026, 4, 1)
    assert created.history.count() >= 1


def test_manager_cannot_create_outside_scope_and_nothing_is_written(api, cast, partner_a):
    before = Partnership.objects.count()
    response = api(cast["manager_de"]).post("/api/v1/partnerships/", partnership_payload(
        partner=partner_a.partner_id, org_units=["DE", "JP"]), format="json")
    # JP is outside their scope: refused like a code that does not exist (its existence is no business of theirs)
    assert response.status_code == 400 and "org_units" in response.json()
    assert Partnership.objects.count() == before


def test_manager_cannot_move_a_partnership_out_of_scope_or_set_members(api, cast, partner_a):
    rest = api(cast["manager_de"])
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"org_units": ["JP"]},
                      format="json").status_code == 400  # JP reads as unknown to them
    assert list(partner_a.org_units.values_list("code", flat=True)) == ["DE"]
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"members": []}, format="json").status_code == 403
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"review_cadence": "monthly"},
                      format="json").status_code == 200
    partner_a.refresh_from_db()
    assert list(partner_a.org_units.values_list("code", flat=True)) == ["DE"]
    assert partner_a.members.count() == 1 and partner_a.review_cadence == "monthly"


def test_out_of_scope_writes_answer_404(api, cast, partner_b, review_b, scores):
    rest = api(cast["manager_de"])
    assert rest.patch(f"/api/v1/partnerships/{partner_b.pk}/", {"name": "x"}, format="json").status_code == 404
    assert rest.delete(f"/api/v1/partnerships/{partner_b.pk}/").status_code == 404
    assert rest.post("/api/v1/reviews/", {"partnership": partner_b.pk, "date": "2026-03-01"},
                     format="json").status_code == 404
    assert rest.post("/api/v1/assessments/", {"partnership": partner_b.pk, **scores(3)},
                     format="json").status_code == 404
    assert rest.post("/api/v1/review-actions/", {"review": review_b.pk, "title": "x", "owner": cast["manager_de"].pk,
                                                 "due_date": "2026-04-01"}, format="json").status_code == 404
    partner_b.refresh_from_db()
    assert partner_b.name == "Partnership B"


def test_admin_sets_members(api, cast, partner_b):
    rest = api(cast["admin"])
    response = rest.patch(f"/api/v1/partnerships/{partner_b.pk}/", {"members": [cast["partner"].pk]}, format="json")
    assert response.status_code == 200
    assert Partnership.objects.restrict(cast["partner"], "view").count() == 2
    bad = rest.patch(f"/api/v1/partnerships/{partner_b.pk}/", {"members": [cast["manager_de"].pk]}, format="json")
    assert bad.status_code == 400 and "members" in bad.json()


def test_partner_crud_by_a_leader_in_scope(api, cast, org):
    rest = api(cast["leader"])
    response = rest.post("/api/v1/partners/", {"name": "Alpen Med", "kind": "hospital", "org_units": ["AT"]},
                         format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert rest.post("/api/v1/partners/", {"name": "Far", "kind": "pharma", "org_units": ["JP"]},
                     format="json").status_code == 400  # JP reads as unknown to them
    assert not Partner.objects.filter(name="Far").exists()
    assert rest.post("/api/v1/partners/", {"name": "Nowhere", "kind": "pharma"}, format="json").status_code == 400
    assert rest.patch(f"/api/v1/partners/{pk}/", {"status": "on_hold"}, format="json").status_code == 200
    history = Partner.objects.get(pk=pk).history.all()
    assert history[0].status == "on_hold" and history.last().status == "active"
    assert api(cast["manager_jp"]).get(f"/api/v1/partners/{pk}/").status_code == 404
    assert rest.delete(f"/api/v1/partners/{pk}/").status_code == 204
    assert not Partner.objects.filter(pk=pk).exists()


def test_reviews_and_actions_crud_by_a_manager(api, cast, partner_a):
    rest = api(cast["manager_de"])
    review = rest.post("/api/v1/reviews/", {"partnership": partner_a.pk, "date": "2026-02-10", "kind": "qbr",
                                            "attendees": [cast["manager_de"].pk, cast["partner"].pk]}, format="json")
    assert review.status_code == 201, review.json()
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2026, 5, 10)
    action = rest.post("/api/v1/review-actions/", {"review": review.json()["id"], "title": "Send forecast",
                                                   "owner": cast["partner"].pk, "due_date": "2026-03-01"},
                       format="json")
    assert action.status_code == 201 and action.json()["partnership"] == partner_a.pk
    # Colleagues from elsewhere attend once the partnership is shared with them: before, they are
    # people the manager cannot see, refused like ids that do not exist (no enumeration of names).
    outsider = {"partnership": partner_a.pk, "date": "2026-02-11", "attendees": [cast["manager_jp"].pk]}
    refused = rest.post("/api/v1/reviews/", outsider, format="json")
    assert refused.status_code == 400 and "share it with them first" in refused.json()["attendees"][0]
    services.partnership_share(actor=cast["manager_de"], partnership=partner_a, user=cast["manager_jp"])
    assert rest.post("/api/v1/reviews/", outsider, format="json").status_code == 201
    stranger = rest.post("/api/v1/review-actions/", {"review": review.json()["id"], "title": "x",
                                                     "owner": cast["admin"].pk, "due_date": "2026-03-01"},
                         format="json")
    assert stranger.status_code == 400  # an admin without assignments is nobody they can see
    assert rest.delete(f"/api/v1/review-actions/{action.json()['id']}/").status_code == 204
    assert ReviewAction.objects.count() == 0


def test_partner_user_of_another_partnership_cannot_own_or_attend(api, cast, partner_b):
    rest = api(cast["admin"])
    response = rest.post("/api/v1/reviews/", {"partnership": partner_b.pk, "date": "2026-02-10",
                                              "attendees": [cast["partner"].pk]}, format="json")
    assert response.status_code == 400 and "attendees" in response.json()


def test_assessments_api_side_follows_the_caller_and_only_admins_delete(api, cast, partner_a, scores):
    response = api(cast["manager_de"]).post("/api/v1/assessments/", {
        "partnership": partner_a.pk, **scores(4), "comments": {"governance": "RACI agreed"}}, format="json")
    assert response.status_code == 201 and response.json()["side"] == "internal"
    assert response.json()["average"] == 4.0
    pk = response.json()["id"]
    bad = api(cast["manager_de"]).post("/api/v1/assessments/", {"partnership": partner_a.pk, **scores(4),
                                                                "comments": {"mood": "x"}}, format="json")
    assert bad.status_code == 400
    assert api(cast["manager_de"]).delete(f"/api/v1/assessments/{pk}/").status_code == 403
    assert api(cast["admin"]).delete(f"/api/v1/assessments/{pk}/").status_code == 204
    assert not MaturityAssessment.objects.exists()


def test_filters(api, cast, partner_a, partner_b, review_a, review_b):
    rest = api(cast["admin"])
    assert ids(rest.get("/api/v1/partnerships/", {"org_unit": "EMEA"})) == [partner_a.pk]
    assert ids(rest.get("/api/v1/partners/", {"org_unit": "APAC"})) == [partner_b.partner_id]
    assert ids(rest.get("/api/v1/partners/", {"type": "licensing"})) == []
    mine = api(cast["partner"]).get("/api/v1/review-actions/", {"mine": "true"}).json()["results"]
    assert [a["title"] for a in mine] == ["Send sell-out data"]
    overdue = rest.get("/api/v1/review-actions/", {"overdue": "true"}).json()["results"]
    assert {a["title"] for a in overdue} >= {"Send sell-out data", "B-only action"}


def test_list_query_counts_are_pinned(api, cast, org, functions, django_assert_max_num_queries, scores):
    partners = []
    for i in range(12):
        partner = services.partner_create(actor=cast["admin"], name=f"P{i}", kind="distributor",
                                          org_units=[org["DE"], org["AT"]])
        p = services.partnership_create(actor=cast["admin"], partner=partner, name=f"Deal {i}", type="distribution",
                                        org_units=[org["DE"]], owner_function=functions["SALES"],
                                        functions=[functions["MKT"]], start=date(2025, 1, 1))
        review = services.review_create(actor=cast["admin"], partnership=p, date=date(2026, 1, 1),
                                        attendees=[cast["manager_de"]])
        services.action_create(actor=cast["admin"], review=review, title="x", owner=cast["manager_de"],
                               due_date=date(2026, 2, 1))
        services.assessment_create(actor=cast["admin"], partnership=p, scores=scores(3))
        partners.append(p)
    rest = api(cast["leader"])
    # the cast's partnership A (DE) is in the leader's scope too; the first request also reads the
    # leader's assignment units (once per user object, and this client reuses it)
    for url, expected, queries in [("/api/v1/partners/", 13, 5), ("/api/v1/partnerships/", 13, 5),
                                   ("/api/v1/reviews/", 12, 4), ("/api/v1/review-actions/", 12, 2),
                                   ("/api/v1/assessments/", 12, 2)]:
        with django_assert_max_num_queries(queries):
            response = rest.get(url)
        assert response.json()["count"] == expected, url
