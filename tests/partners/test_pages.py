"""The partner pages as internal users: directory filters and search, partnership page, my actions,
logging a review and its actions — with pinned query counts on the hot pages."""

from datetime import date

import pytest

from partners import services
from partners.models import BusinessReview, ReviewAction

pytestmark = pytest.mark.django_db


def test_pages_require_login(client, partner_a):
    for url in ["/partners/", "/partners/portal/", "/partners/actions/", f"/partners/partnerships/{partner_a.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_directory_filters_and_search(client, cast, partner_a, partner_b, org):
    client.force_login(cast["admin"])
    html = client.get("/partners/").content.decode()
    assert "MedDistrib GmbH" in html and "Nihon Supply KK" in html
    html = client.get("/partners/", {"org_unit": "APAC"}).content.decode()
    assert "Nihon Supply KK" in html and "MedDistrib GmbH" not in html
    html = client.get("/partners/", {"q": "medd"}).content.decode()
    assert "MedDistrib GmbH" in html and "Nihon Supply KK" not in html
    html = client.get("/partners/", {"q": "Partnership B"}).content.decode()
    assert "Nihon Supply KK" in html and "MedDistrib GmbH" not in html
    html = client.get("/partners/", {"type": "licensing"}).content.decode()
    assert "No partners match" in html
    html = client.get("/partners/", {"kind": "distributor", "status": "active"}).content.decode()
    assert "MedDistrib GmbH" in html


def test_directory_is_scoped(client, cast, partner_a, partner_b):
    client.force_login(cast["manager_jp"])
    html = client.get("/partners/").content.decode()
    assert "Nihon Supply KK" in html and "MedDistrib GmbH" not in html
    assert client.get(f"/partners/{partner_a.partner_id}/").status_code == 404


def test_directory_and_partnership_page_query_counts(client, cast, org, functions, scores,
                                                     django_assert_max_num_queries):
    for i in range(15):
        partner = services.partner_create(actor=cast["admin"], name=f"P{i:02}", kind="pharma", org_units=[org["DE"]])
        for j in range(2):
            p = services.partnership_create(actor=cast["admin"], partner=partner, name=f"Deal {i}-{j}",
                                            type="licensing", org_units=[org["DE"]],
                                            owner_function=functions["SALES"], start=date(2025, 1, 1))
            services.assessment_create(actor=cast["admin"], partnership=p, scores=scores(3))
    client.force_login(cast["leader"])
    with django_assert_max_num_queries(9):
        response = client.get("/partners/")
    assert response.status_code == 200 and response.content.decode().count("L3 · Collaborative") == 30

    for k in range(6):
        review = services.review_create(actor=cast["admin"], partnership=p, date=date(2026, 1, 1 + k),
                                        attendees=[cast["manager_de"], cast["leader"]])
        for m in range(3):
            services.action_create(actor=cast["admin"], review=review, title=f"A{k}{m}", owner=cast["manager_de"],
                                   due_date=date(2026, 2, 1 + m))
    # 12 (the reviews and every action once each: attendees counted, not loaded) + the decisions (2 +
    # answers owed 1), KPI (2), target proposals (1), peer benchmark (1: the month a subquery) and
    # commitments (1) sections
    with django_assert_max_num_queries(20):
        response = client.get(f"/partners/partnerships/{p.pk}/")
    assert response.status_code == 200 and len(response.context["open_actions"]) == 18


def test_partnership_page_flags_overdue_review_and_actions(client, cast, partner_a, review_a):
    client.force_login(cast["manager_de"])
    partner_a.next_review_due = date(2020, 1, 1)
    partner_a.save()
    response = client.get(f"/partners/partnerships/{partner_a.pk}/")
    html = response.content.decode()
    assert "Review overdue since 1 Jan 2020" in html
    assert response.context["overdue_count"] == 2  # both actions of review A are past due today
    assert 'id="partnership-kpis"' in html and 'id="partnership-decisions"' in html
    assert "Log a review" in html and "Shared with" in html


def test_my_actions_lists_only_mine_with_overdue_flag(client, cast, review_a, review_b, django_assert_max_num_queries):
    client.force_login(cast["manager_de"])
    with django_assert_max_num_queries(5):
        response = client.get("/partners/actions/")
    titles = [a.title for a in response.context["open_actions"]]
    assert titles == ["Agree account plan"] and response.context["overdue_count"] == 1
    action = ReviewAction.objects.get(title="Agree account plan")
    response = client.post(f"/partners/actions/{action.pk}/status/", {"status": "done", "next": "/partners/actions/"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done"


def test_manager_logs_a_review_and_adds_an_action(client, cast, partner_a):
    client.force_login(cast["manager_de"])
    response = client.post(f"/partners/partnerships/{partner_a.pk}/reviews/new/", {
        "title": "Q1 QBR", "date": "2026-02-20", "kind": "qbr", "status": "held",
        "attendees": [cast["manager_de"].pk, cast["partner"].pk], "agenda": "KPIs", "notes": "Agreed plan"})
    assert response.status_code == 302
    review = BusinessReview.objects.get(title="Q1 QBR")
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2026, 5, 20)
    response = client.post(f"/partners/reviews/{review.pk}/", {
        "title": "Send forecast", "owner": cast["partner"].pk, "due_date": "2026-03-15"})
    assert response.status_code == 302
    assert review.actions.get().owner == cast["partner"]


def test_internal_user_out_of_scope_gets_404_on_every_page(client, cast, partner_a, review_a):
    client.force_login(cast["manager_jp"])
    action = review_a.actions.first()
    for url in [f"/partners/partnerships/{partner_a.pk}/", f"/partners/partnerships/{partner_a.pk}/assess/",
                f"/partners/partnerships/{partner_a.pk}/reviews/new/", f"/partners/reviews/{review_a.pk}/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/partners/actions/{action.pk}/status/", {"status": "done"}).status_code == 404


@pytest.mark.slow  # seeds the whole demo organisation, twice
def test_demo_seed_is_idempotent_and_has_the_partner_login(django_assert_max_num_queries):
    from governance import demo as governance_demo
    from partners import demo
    from partners.models import PartnerKind, Partnership, PartnershipType

    governance_demo.seed()
    first = demo.seed()
    assert first == demo.seed()
    assert first["partners"] >= 25 and first["partnerships"] >= 25
    assert first["maturity_assessments"] >= 4 * 25 and first["review_actions"] > 0
    assert set(Partnership.objects.values_list("partner__kind", flat=True)) == set(PartnerKind.values)
    assert set(Partnership.objects.values_list("type", flat=True)) == set(PartnershipType.values)
    from governance.models import User

    petra = User.objects.get(username="partner.demo")
    assert petra.is_partner and petra.check_password("accord-demo")
    home = Partnership.objects.get(members=petra)
    assert list(home.org_units.values_list("code", flat=True)) == ["DE"]
    assert ReviewAction.objects.filter(status="open", due_date__lt=date.today()).exists()
