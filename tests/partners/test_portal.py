"""The partner portal's confinement: a partner user of partnership A sees A and nothing else,
and no write widens that scope."""

from datetime import date

import pytest

from partners import services
from partners.models import BusinessReview, MaturityAssessment, Partner, Partnership, ReviewAction

pytestmark = pytest.mark.django_db


def ids(response):
    return sorted(item["id"] for item in response.json()["results"])


def test_partner_user_sees_only_partnership_a_pages(client, cast, partner_a, partner_b, review_a, review_b):
    client.force_login(cast["partner"])
    assert client.get(f"/partners/partnerships/{partner_a.pk}/").status_code == 200
    assert client.get(f"/partners/reviews/{review_a.pk}/").status_code == 200
    assert client.get(f"/partners/partnerships/{partner_a.pk}/assess/").status_code == 200
    assert client.get(f"/partners/{partner_a.partner_id}/").status_code == 200
    for url in [f"/partners/partnerships/{partner_b.pk}/", f"/partners/reviews/{review_b.pk}/",
                f"/partners/partnerships/{partner_b.pk}/assess/", f"/partners/{partner_b.partner_id}/"]:
        assert client.get(url).status_code == 404, url


def test_partner_users_home_redirects_to_their_only_partnership(client, cast, partner_a):
    client.force_login(cast["partner"])
    response = client.get("/partners/portal/")
    assert response.status_code == 302 and response["Location"] == f"/partners/partnerships/{partner_a.pk}/"


def test_partner_user_with_two_partnerships_gets_a_list_of_exactly_those(client, cast, partner_a, partner_b, org,
                                                                        functions):
    third = Partnership.objects.create(partner=partner_b.partner, name="Partnership C", type="licensing",
                                       owner_function=functions["SALES"], start=date(2025, 1, 1))
    third.org_units.set([org["AT"]])
    third.members.add(cast["partner"])
    client.force_login(cast["partner"])
    html = client.get("/partners/portal/").content.decode()
    assert "Partnership A" in html and "Partnership C" in html and "Partnership B" not in html


def test_directory_and_search_never_show_another_partnership(client, cast, partner_a, partner_b):
    client.force_login(cast["partner"])
    html = client.get("/partners/", {"q": "Nihon"}).content.decode()
    assert "Nihon Supply" not in html and "Partnership B" not in html
    html = client.get("/partners/").content.decode()
    assert "MedDistrib GmbH" in html and "Nihon Supply" not in html


def test_partner_user_api_lists_contain_only_a(api, cast, partner_a, partner_b, review_a, review_b, scores):
    services.assessment_create(actor=cast["admin"], partnership=partner_b, scores=scores(2))
    services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(4))
    client = api(cast["partner"])
    assert ids(client.get("/api/v1/partnerships/")) == [partner_a.pk]
    assert ids(client.get("/api/v1/partners/")) == [partner_a.partner_id]
    assert ids(client.get("/api/v1/reviews/")) == [review_a.pk]
    assert ids(client.get("/api/v1/review-actions/")) == sorted(review_a.actions.values_list("pk", flat=True))
    assert [a["partnership"] for a in client.get("/api/v1/assessments/").json()["results"]] == [partner_a.pk]
    assert client.get("/api/v1/partnerships/", {"search": "Nihon"}).json()["results"] == []
    for url in [f"/api/v1/partnerships/{partner_b.pk}/", f"/api/v1/reviews/{review_b.pk}/",
                f"/api/v1/partners/{partner_b.partner_id}/", f"/api/v1/partnerships/{partner_b.pk}/maturity/",
                f"/api/v1/review-actions/{review_b.actions.get().pk}/"]:
        assert client.get(url).status_code == 404, url


def test_partner_user_cannot_write_partnership_bs_things(api, client, cast, partner_a, partner_b, review_b, scores):
    b_assessment = services.assessment_create(actor=cast["admin"], partnership=partner_b, scores=scores(2))
    b_action = review_b.actions.get()
    rest = api(cast["partner"])
    assert rest.post("/api/v1/assessments/", {"partnership": partner_b.pk, **scores(5)},
                     format="json").status_code == 404
    assert rest.patch(f"/api/v1/assessments/{b_assessment.pk}/", {"governance": 5}, format="json").status_code == 404
    assert rest.patch(f"/api/v1/review-actions/{b_action.pk}/", {"status": "done"}, format="json").status_code == 404
    client.force_login(cast["partner"])
    assert client.post(f"/partners/partnerships/{partner_b.pk}/assess/", scores(5)).status_code == 404
    assert client.post(f"/partners/actions/{b_action.pk}/status/", {"status": "done"}).status_code == 404
    b_assessment.refresh_from_db()
    b_action.refresh_from_db()
    assert b_assessment.governance == 2 and b_action.status == "open"
    assert not MaturityAssessment.objects.filter(partnership=partner_b, side="partner").exists()


def test_partner_user_cannot_widen_their_scope_through_any_write(api, cast, partner_a, partner_b, review_a, org,
                                                                 functions, scores):
    rest = api(cast["partner"])
    me = cast["partner"].pk
    # Membership, org units and new partnerships are not theirs to write.
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"members": [me]}, format="json").status_code == 403
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"org_units": ["DE", "JP"]},
                      format="json").status_code == 403
    assert rest.patch(f"/api/v1/partnerships/{partner_b.pk}/", {"members": [me]}, format="json").status_code == 403
    assert rest.post("/api/v1/partnerships/", {
        "partner": partner_a.partner_id, "name": "Mine", "type": "distribution", "org_units": ["JP"],
        "owner_function": "SALES", "start": "2026-01-01"}, format="json").status_code == 403
    assert rest.post("/api/v1/partners/", {"name": "X", "kind": "other"}, format="json").status_code == 403
    assert rest.patch(f"/api/v1/users/{me}/", {"partnerships": [partner_a.pk, partner_b.pk]},
                      format="json").status_code == 403
    assert rest.post("/api/v1/reviews/", {"partnership": partner_a.pk, "date": "2026-03-01"},
                     format="json").status_code == 403
    assert rest.post("/api/v1/review-actions/", {"review": review_a.pk, "title": "x", "owner": me,
                                                 "due_date": "2026-04-01"}, format="json").status_code == 403
    # Their own action: status only — not the review, owner or due date.
    mine = review_a.actions.get(owner=cast["partner"])
    assert rest.patch(f"/api/v1/review-actions/{mine.pk}/", {"owner": cast["manager_jp"].pk},
                      format="json").status_code == 400  # a person they cannot see: no such person
    assert rest.patch(f"/api/v1/review-actions/{mine.pk}/", {"owner": me},
                      format="json").status_code == 403  # ...and even themselves: status only
    assert rest.patch(f"/api/v1/review-actions/{mine.pk}/", {"due_date": "2030-01-01"},
                      format="json").status_code == 403
    # Moving their own assessment to partnership B answers 404 (B does not exist for them).
    own = services.assessment_create(actor=cast["partner"], partnership=partner_a, scores=scores(3))
    assert rest.patch(f"/api/v1/assessments/{own.pk}/", {"partnership": partner_b.pk},
                      format="json").status_code == 404
    partner_a.refresh_from_db()
    assert list(partner_a.members.all()) == [cast["partner"]]
    assert sorted(partner_a.org_units.values_list("code", flat=True)) == ["DE"]
    assert not partner_b.members.exists()
    assert Partnership.objects.count() == 2 and Partner.objects.count() == 2
    assert BusinessReview.objects.count() == 1 and ReviewAction.objects.count() == 2
    mine.refresh_from_db()
    assert mine.owner == cast["partner"] and mine.due_date == date(2026, 2, 1)
    own.refresh_from_db()
    assert own.partnership == partner_a


def test_partner_user_marks_their_own_action_done_but_not_someone_elses(api, cast, review_a):
    rest = api(cast["partner"])
    mine = review_a.actions.get(owner=cast["partner"])
    theirs = review_a.actions.get(owner=cast["manager_de"])
    response = rest.patch(f"/api/v1/review-actions/{mine.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "done" and response.json()["done_at"]
    assert rest.patch(f"/api/v1/review-actions/{theirs.pk}/", {"status": "done"}, format="json").status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "open"
    assert mine.history.count() == 2  # created, then done: the change is recorded


def test_partner_user_enters_their_side_of_the_assessment(client, cast, partner_a, scores):
    client.force_login(cast["partner"])
    response = client.post(f"/partners/partnerships/{partner_a.pk}/assess/",
                           {**scores(4, governance=2), "comment_governance": "Unclear who decides pricing"})
    assert response.status_code == 302
    assessment = MaturityAssessment.objects.get(partnership=partner_a)
    assert assessment.side == "partner" and assessment.assessed_by == cast["partner"]
    assert assessment.governance == 2 and assessment.comments == {"governance": "Unclear who decides pricing"}


def test_partner_user_posts_partner_side_via_api_whatever_side_they_ask_for(api, cast, partner_a, scores):
    response = api(cast["partner"]).post("/api/v1/assessments/", {"partnership": partner_a.pk, "side": "internal",
                                                                   **scores(4)}, format="json")
    assert response.status_code == 201 and response.json()["side"] == "partner"


def test_internal_pages_hidden_from_partner_users(client, cast, partner_a):
    client.force_login(cast["partner"])
    html = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert "Log a review" not in html and "Shared with" not in html
    assert client.get(f"/partners/partnerships/{partner_a.pk}/reviews/new/").status_code == 403
    assert client.post(f"/partners/partnerships/{partner_a.pk}/share/",
                       {"username": "yuki.jp"}).status_code == 403


def test_partner_pages_never_give_an_internal_login_name(client, cast, partner_a, review_a):
    """The cast's internal people have no names: a partner user reads "Internal team" for the
    partnership's owner, an action's owner and a review's attendee — never their logins — while
    an internal reader reads the logins (their names, once they have one)."""
    partner_a.owner = cast["manager_de"]
    partner_a.save(update_fields=["owner"])
    urls = [f"/partners/partnerships/{partner_a.pk}/", f"/partners/reviews/{review_a.pk}/"]
    client.force_login(cast["partner"])
    for url in urls:
        html = client.get(url).content.decode()
        assert "max.de" not in html and "ada.admin" not in html, url
        assert "Internal team" in html and cast["partner"].username in html, url
    client.force_login(cast["admin"])
    for url in urls:
        html = client.get(url).content.decode()
        assert "max.de" in html and "Internal team" not in html, url
    cast["manager_de"].first_name, cast["manager_de"].last_name = "Max", "Weber"
    cast["manager_de"].save(update_fields=["first_name", "last_name"])
    client.force_login(cast["partner"])
    html = client.get(urls[0]).content.decode()
    assert "Max Weber" in html and "max.de" not in html
