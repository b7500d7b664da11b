"""Pages: queue, log form with live routing preview, list filters, detail + actions, scoping,
notifications and the bell, the partnership template tag."""

import pytest
from django.template import Context, Template
from django.utils import timezone

from decisions.models import Decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_decision(log_de):
    return log_de(now=timezone.now(), description="Tender at Charité")


def test_queue_shows_what_waits_on_me(client, holders, now_decision):
    client.force_login(holders["compliance_de"])
    page = client.get("/decisions/queue/").content.decode()
    assert "Waiting for your agreement" in page and now_decision.title in page
    client.force_login(holders["manager_de"])
    page = client.get("/decisions/queue/").content.decode()
    assert page.count(now_decision.title) == 2  # to decide, and requested by me


def test_log_form_previews_who_is_involved_before_saving(client, holders, price_exception, org):
    client.force_login(holders["manager_de"])
    assert client.get("/decisions/new/").status_code == 200
    preview = client.get("/decisions/new/preview/", {"decision_type": price_exception.pk, "org_unit": org["DE"].pk},
                         HTTP_HX_REQUEST="true").content.decode()
    assert "Decided at <strong>Germany</strong>" in preview
    for name in ["max.de", "Carla", "Anna", "Fritz"]:
        assert name in preview
    assert not Decision.objects.exists()
    response = client.post("/decisions/new/", {"title": "Price exception", "decision_type": price_exception.pk,
                                               "org_unit": org["DE"].pk, "priority": "high",
                                               "option_1": "Grant 12%", "pros_1": "Win", "cons_1": "Margin"})
    decision = Decision.objects.get()
    assert response.status_code == 302 and response.url == f"/decisions/{decision.pk}/"
    assert decision.options == [{"option": "Grant 12%", "pros": "Win", "cons": "Margin"}]


def test_preview_shows_the_holder_up_the_tree_and_warns_when_nobody_could_decide(client, holders,
                                                                                  price_exception, org):
    holders["manager_jp"].assignments.all().delete()
    client.force_login(holders["admin"])
    preview = client.get("/decisions/new/preview/", {"decision_type": price_exception.pk,
                                                      "org_unit": org["JP"].pk}).content.decode()
    assert "Gina" in preview and "Sales, Global (covers Japan)" in preview  # nobody in Japan: Global's holder
    holders["sales_global"].assignments.all().delete()
    preview = client.get("/decisions/new/preview/", {"decision_type": price_exception.pk,
                                                      "org_unit": org["JP"].pk}).content.decode()
    assert "Nobody can decide this here yet" in preview


def test_detail_shows_timeline_and_the_decide_button_is_blocked_until_compliance_agrees(client, holders,
                                                                                          now_decision):
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{now_decision.pk}/").content.decode()
    assert "Cannot decide yet: Compliance has not agreed yet" in page and "Logged" in page
    refused = client.post(f"/decisions/{now_decision.pk}/decide/", {"outcome": "Grant"}, follow=True)
    assert "Compliance has not agreed yet" in refused.content.decode()
    client.force_login(holders["compliance_de"])
    client.post(f"/decisions/{now_decision.pk}/agree/", {"agree": "yes", "comment": "fine"})
    client.force_login(holders["manager_de"])
    done = client.post(f"/decisions/{now_decision.pk}/decide/", {"outcome": "Grant 8%"}, follow=True).content.decode()
    assert "Decision recorded." in done and "Grant 8%" in done
    assert Decision.objects.get().status == "decided"


def test_detail_and_queue_pages_have_bounded_queries(client, holders, now_decision, log_de,
                                                     django_assert_max_num_queries, django_assert_num_queries):
    for i in range(5):
        log_de(now=timezone.now(), title=f"More {i}")
    client.force_login(holders["manager_de"])
    # 11: the session's user and units; whether the decision is in view; the decision, its KPIs,
    # participants and events; the round's answers (edits); its stages; the sidebar's assignments; the bell.
    with django_assert_num_queries(11):
        assert client.get(f"/decisions/{now_decision.pk}/").status_code == 200
    with django_assert_num_queries(3):  # no such decision: the session's user, the read by key, the bell
        assert client.get(f"/decisions/{now_decision.pk + 10**6}/").status_code == 404
    with django_assert_max_num_queries(10):
        assert client.get("/decisions/queue/").status_code == 200


def test_a_manager_in_japan_gets_404_on_the_page(client, holders, now_decision):
    client.force_login(holders["manager_jp"])
    assert client.get(f"/decisions/{now_decision.pk}/").status_code == 404
    assert client.post(f"/decisions/{now_decision.pk}/withdraw/", {}).status_code == 404
    assert now_decision.title not in client.get("/decisions/list/").content.decode()


def test_list_filters_by_status_type_and_org_unit(client, holders, now_decision, log_de, django_assert_max_num_queries):
    from decisions import services

    other = log_de(now=timezone.now(), title="Withdrawn one")
    services.decision_withdraw(decision=other, actor=holders["manager_de"], reason="Moot")
    client.force_login(holders["leader"])
    page = client.get("/decisions/list/?status=open&org_unit=DACH&decision_type=PRICE_EXC").content.decode()
    assert now_decision.title in page and "Withdrawn one" not in page
    assert "Withdrawn one" in client.get("/decisions/list/?status=withdrawn").content.decode()
    assert "No decisions match" in client.get("/decisions/list/?escalated=on").content.decode()
    for i in range(10):
        log_de(now=timezone.now(), title=f"Bulk {i}")
    with django_assert_max_num_queries(12):
        assert client.get("/decisions/list/").status_code == 200


def test_anonymous_users_are_sent_to_login(client):
    for url in ["/decisions/queue/", "/decisions/list/", "/decisions/new/", "/decisions/analytics/",
                "/decisions/matrix/", "/decisions/notifications/", "/decisions/1/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_bell_counts_unread_notifications_and_the_page_marks_them_read(client, holders, now_decision,
                                                                       django_assert_num_queries):
    client.force_login(holders["compliance_de"])
    page = client.get("/decisions/notifications/").content.decode()
    assert 'data-testid="unread-count">1<' in page and "Your agreement is needed" in page
    client.post("/decisions/notifications/read/")
    assert 'data-testid="unread-count"' not in client.get("/decisions/notifications/").content.decode()
    tag = Template("{% load decisions_tags %}{% unread_notification_count user %}")
    with django_assert_num_queries(1):
        assert tag.render(Context({"user": holders["manager_de"]})) == "1"


def test_the_bells_count_is_the_orms_statement_compiled_once(holders, now_decision):
    """``unread_count`` runs the ORM's statement for the unread of one recipient, compiled on first
    use: read and other people's notifications are not counted; anonymous visitors get 0."""
    from django.contrib.auth.models import AnonymousUser

    from governance.models import Notification
    from governance.notifications import _unread_count_sql, unread_count

    rows, params = (Notification.objects.filter(recipient_id=holders["manager_de"].pk).unread().order_by()
                    .values("pk").query.sql_with_params())
    assert _unread_count_sql().endswith(f"({rows}) AS unread")
    assert params == (holders["manager_de"].pk,)
    for user in holders.values():
        assert unread_count(user) == Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    mine = Notification.objects.filter(recipient=holders["compliance_de"])
    assert unread_count(holders["compliance_de"]) == 1
    mine.update(read_at=timezone.now())
    assert unread_count(holders["compliance_de"]) == 0 and unread_count(AnonymousUser()) == 0


def test_partnership_decisions_tag_shows_only_what_the_user_may_see(holders, partner_a, log_de):
    log_de(now=timezone.now(), title="Exclusive territory for MedDistrib", partnership=partner_a, visibility="shared")
    log_de(now=timezone.now(), title="Internal pricing")
    log_de(now=timezone.now(), title="Internal pricing for MedDistrib", partnership=partner_a)
    tag = Template("{% load decisions_tags %}{% partnership_decisions partnership user %}")
    html = tag.render(Context({"partnership": partner_a, "user": holders["partner"]}))
    assert "Exclusive territory for MedDistrib" in html and "Internal pricing" not in html
    assert "Log</a>" not in html  # partner users do not log decisions
    assert "Exclusive territory" not in tag.render(Context({"partnership": partner_a, "user": holders["manager_jp"]}))
    assert "Log</a>" in tag.render(Context({"partnership": partner_a, "user": holders["manager_de"]}))


def test_partnership_page_lists_its_decisions_for_the_partner_user(client, holders, partner_a, log_de):
    log_de(now=timezone.now(), title="Exclusive territory for MedDistrib", partnership=partner_a, visibility="shared")
    log_de(now=timezone.now(), title="Internal pricing")
    log_de(now=timezone.now(), title="Internal pricing for MedDistrib", partnership=partner_a)
    client.force_login(holders["partner"])
    html = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert "Exclusive territory for MedDistrib" in html and "Internal pricing" not in html
