"""Issue 16, "digests": notification e-mail is sent by the worker, never in the request; each user
chooses per kind of notification — immediately, daily or weekly digest, off; the weekly digest
(HTML and text) summarises their scope; links are absolute."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from governance.models import Notification
from governance.notifications import Notice, notification_emails_send, notify, notify_many, preferences_set
from reports.digests import digest_send

pytestmark = pytest.mark.django_db


def _notify(user, kind="decision.decide", key="k1", url="/decisions/7/", title="Decide: price floor"):
    return notify(recipients=[user], kind=kind, title=title, body="Due Friday.", url=url, dedupe_key=key)


def test_notify_sends_no_mail_itself_but_enqueues_the_worker_after_commit(cast, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.ACCORD_BASE_URL = "https://accord.example.com"
    user = cast["manager_de"]
    with mock.patch("governance.tasks.send_notification_emails.apply_async") as send, \
            django_capture_on_commit_callbacks(execute=True):
        _notify(user)
        assert send.call_count == 0
    assert mail.outbox == []  # the request sends nothing
    ids = send.call_args.kwargs["kwargs"]["ids"]
    assert ids == list(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    assert notification_emails_send(ids=ids) == 1  # the worker
    assert notification_emails_send(ids=ids) == 0  # a retried task mails nobody twice
    (message,) = mail.outbox
    assert message.to == [user.email] and message.subject == "[Accord] Decide: price floor"
    assert "https://accord.example.com/decisions/7/" in message.body
    assert Notification.objects.get(pk=ids[0]).emailed_at is not None


def test_notify_many_enqueues_the_created_rows_only(cast, django_capture_on_commit_callbacks):
    user = cast["manager_de"]
    notice = Notice(recipients=(user,), kind="decision.escalated", title="Escalated", dedupe_key="esc-1", url="/x/")
    with mock.patch("governance.tasks.send_notification_emails.apply_async") as send, \
            django_capture_on_commit_callbacks(execute=True):
        created = notify_many([notice])
        notify_many([notice])  # the same key again: no row, nothing to send
    assert send.call_count == 1 and send.call_args.kwargs["kwargs"]["ids"] == created
    assert mail.outbox == []


def test_a_kind_set_to_off_or_a_digest_is_not_mailed_immediately(cast):
    user = cast["manager_de"]
    preferences_set(user=user, choices={"waiting": "off", "deadlines": "weekly"})
    _notify(user, kind="decision.decide", key="a")
    _notify(user, kind="decision.escalated", key="b")
    _notify(user, kind="partners.action_overdue", key="c")
    ids = list(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    assert notification_emails_send(ids=ids) == 1
    assert [m.subject for m in mail.outbox] == ["[Accord] Decide: price floor"]  # the "reviews" kind
    assert Notification.objects.filter(recipient=user, emailed_at__isnull=True).count() == 2


def test_weekly_digest_holds_the_chosen_notifications_and_the_scope_summary_once(cast, holders, qbr, settings):
    from decisions.models import Decision

    settings.ACCORD_BASE_URL = "https://accord.example.com"
    leader = cast["leader"]
    preferences_set(user=leader, choices={"deadlines": "weekly"})
    _notify(leader, kind="decision.escalated", key="esc", url="/decisions/1/", title="Escalated: tender pricing")
    _notify(leader, kind="decision.decide", key="now")  # immediately: not in the digest
    Decision.objects.filter(pk=qbr["pending_internal"].pk).update(sla_due_at=timezone.now() - timedelta(hours=1))
    from partners.models import ReviewAction

    ReviewAction.objects.filter(title="Send the tender file").update(owner=leader)
    assert digest_send(user=leader, cadence="weekly") is True
    assert digest_send(user=leader, cadence="weekly") is False  # once per week
    (message,) = mail.outbox
    assert message.subject == "[Accord] Weekly digest"
    text, (html, mime) = message.body, message.alternatives[0]
    assert mime == "text/html"
    for body in (text, html):
        assert "Escalated: tender pricing" in body and "Decide: price floor" not in body
        assert "Stuck decisions" in body and "Internal pending pricing" in body
        assert "Your overdue actions" in body and "Send the tender file" in body
        assert "https://accord.example.com/decisions/" in body
        assert "https://accord.example.com/accounts/notifications/" in body
    assert "[overdue]" in text and "overdue</strong>" in html  # status in words, not colour alone
    assert Notification.objects.get(recipient=leader, dedupe_key="esc").emailed_at is not None
    assert Notification.objects.get(recipient=leader, dedupe_key="now").emailed_at is None


def test_partner_digest_has_their_notifications_and_no_internal_summary(cast, qbr):
    partner = cast["partner"]
    preferences_set(user=partner, choices={"reviews": "daily"})
    _notify(partner, kind="partners.action_overdue", key="p1", url="/partners/actions/")
    assert digest_send(user=partner, cadence="weekly") is False  # nothing weekly for them
    assert digest_send(user=partner, cadence="daily") is True
    body = mail.outbox[0].body
    assert "Decide: price floor" in body and "Stuck decisions" not in body and "Internal pending pricing" not in body


def test_preferences_page_saves_per_kind_and_refuses_unknown_choices(client, cast):
    client.force_login(cast["manager_de"])
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and "Weekly digest" in page.content.decode()
    response = client.post("/accounts/notifications/", {"waiting": "daily", "deadlines": "off", "updates": "weekly",
                                                        "reviews": "immediate", "other": "immediate",
                                                        "summary": "weekly"})
    assert response.status_code == 302
    from governance.notifications import delivery_map

    assert delivery_map(cast["manager_de"])["waiting"] == "daily"
    bad = client.post("/accounts/notifications/", {"waiting": "hourly", "summary": "immediate"})
    assert bad.status_code == 400 and delivery_map(cast["manager_de"])["waiting"] == "daily"


def test_mailing_a_batch_reads_every_recipients_choices_at_once(cast, django_assert_num_queries):
    """Three queries for any number of recipients (the rows, their choices, the claim), so an
    escalation sweep notifying hundreds of people is mailed in one cheap batch."""
    people = [cast["manager_de"], cast["manager_jp"], cast["leader"]]
    preferences_set(user=cast["manager_jp"], choices={"waiting": "off"})
    for i, user in enumerate(people):
        _notify(user, key=f"k{i}")
    ids = list(Notification.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):
        assert notification_emails_send(ids=ids) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast["manager_de"].email, cast["leader"].email])


def test_notify_writes_in_one_statement_and_returns_only_the_rows_it_created(cast, django_assert_num_queries):
    """Issue 22: one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (was: read, insert, read back);
    a repeated key creates nothing, for anyone who has it already."""
    first, second = cast["manager_de"], cast["leader"]
    with django_assert_num_queries(1):
        created = notify(recipients=[first], kind="decision.decide", title="Decide", body=lambda u: u.username,
                         url="/decisions/7/", dedupe_key="once")
    assert [(n.recipient_id, n.body) for n in created] == [(first.pk, first.username)]
    assert created[0].pk == Notification.objects.get(recipient=first, dedupe_key="once").pk
    with django_assert_num_queries(1):
        again = notify(recipients=[first, second], kind="decision.decide", title="Decide", dedupe_key="once")
    assert [n.recipient_id for n in again] == [second.pk]
    assert Notification.objects.filter(dedupe_key="once").count() == 2
