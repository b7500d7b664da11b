"""Review cadence, overdue actions, and the sweep that flags them: exactly one notice per item."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from governance.models import Notification
from governance.periods import add_months
from partners import services, tasks
from partners.models import Partnership, ReviewAction

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 11, 15), 3, date(2026, 2, 15)), (date(2026, 3, 10), -3, date(2025, 12, 10)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)), (date(2025, 5, 1), 12, date(2026, 5, 1)),
])
def test_add_months_clamps_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected


def test_first_review_is_due_one_cadence_after_the_start(cast, partner_a):
    services.partnership_update(actor=cast["admin"], partnership=partner_a)
    assert partner_a.next_review_due == date(2025, 4, 1)  # started 2025-01-01, quarterly


def test_held_review_moves_the_due_date_planned_ones_do_not(cast, partner_a):
    services.review_create(actor=cast["manager_de"], partnership=partner_a, date=date(2026, 1, 15))
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2026, 4, 15)
    services.review_create(actor=cast["manager_de"], partnership=partner_a, date=date(2026, 6, 1), status="planned")
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2026, 4, 15)
    services.partnership_update(actor=cast["manager_de"], partnership=partner_a, review_cadence="monthly")
    assert partner_a.next_review_due == date(2026, 2, 15)


def test_deleting_the_last_review_recomputes_and_ended_partnerships_are_not_due(cast, partner_a):
    review = services.review_create(actor=cast["manager_de"], partnership=partner_a, date=date(2026, 1, 15))
    services.review_delete(actor=cast["manager_de"], review=review)
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2025, 4, 1)
    services.partnership_update(actor=cast["manager_de"], partnership=partner_a, status="ended")
    assert partner_a.next_review_due is None and not partner_a.review_overdue(TODAY)


def test_review_overdue_and_action_overdue_logic(cast, partner_a, review_a):
    partner_a.refresh_from_db()
    assert partner_a.next_review_due == date(2026, 4, 15)
    assert not partner_a.review_overdue(TODAY)
    assert partner_a.review_overdue(date(2026, 4, 16)) and not partner_a.review_overdue(date(2026, 4, 15))
    early, late = review_a.actions.order_by("due_date")
    assert early.is_overdue(TODAY) and not late.is_overdue(TODAY)
    services.action_update(actor=cast["partner"], action=early, status="done", now=NOW)
    assert not early.is_overdue(TODAY) and early.done_at == NOW


def test_sweep_notifies_each_overdue_item_once(cast, partner_a, partner_b, review_a, review_b,
                                               django_capture_on_commit_callbacks, mailoutbox, mail_worker):
    partner_a.owner = cast["manager_de"]
    partner_a.save()
    later = datetime(2026, 4, 20, 9, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.flag_overdue(now=later)
    # A: review due 2026-04-15 is overdue; B: held 2026-01-20 → due 2026-04-20, not yet overdue.
    # Actions: A's partner action (1 Feb) and B's (1 Feb) are overdue; A's manager action (1 Apr) too.
    assert first == {"reviews_flagged": 1, "actions_flagged": 3}
    kinds = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == [("max.de", "partners.action_overdue"), ("max.de", "partners.review_overdue"),
                     ("pat.partner", "partners.action_overdue"), ("yuki.jp", "partners.action_overdue")]
    assert len(mailoutbox) == 4

    with django_capture_on_commit_callbacks(execute=True):
        again = services.flag_overdue(now=later + timedelta(hours=1))
    assert again == {"reviews_flagged": 0, "actions_flagged": 0}
    assert Notification.objects.count() == 4 and len(mailoutbox) == 4


def test_review_owners_default_to_the_owning_function_at_the_partnerships_units(cast, partner_b):
    services.flag_overdue(now=NOW)  # A and B: started 2025-01-01, no review: due 2025-04-01, overdue
    # Sales owns both: its holder in Germany hears about A, its holder in Japan about B.
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["max.de", "yuki.jp"]


def test_a_new_due_date_re_arms_the_flag(cast, partner_b, review_b):
    action = review_b.actions.get()
    services.flag_overdue(now=NOW)
    assert Notification.objects.filter(kind="partners.action_overdue").count() == 1
    services.action_update(actor=cast["manager_jp"], action=action, due_date=date(2026, 3, 1))
    services.flag_overdue(now=NOW)
    assert Notification.objects.filter(kind="partners.action_overdue").count() == 2
    # A held review moves B's due date; when that one passes, a new review notice goes out.
    assert services.flag_overdue(now=datetime(2026, 4, 25, tzinfo=UTC))["reviews_flagged"] == 1
    services.review_create(actor=cast["manager_jp"], partnership=partner_b, date=date(2026, 4, 26))
    assert services.flag_overdue(now=datetime(2026, 7, 26, tzinfo=UTC))["reviews_flagged"] == 0
    assert services.flag_overdue(now=datetime(2026, 7, 27, tzinfo=UTC))["reviews_flagged"] == 1
    assert Notification.objects.filter(kind="partners.review_overdue", recipient=cast["manager_jp"]).count() == 2


def test_done_actions_are_never_flagged(cast, review_b):
    action = review_b.actions.get()
    services.action_update(actor=cast["manager_jp"], action=action, status="done")
    assert services.flag_overdue(now=NOW)["actions_flagged"] == 0


def test_command_and_task_run_the_same_sweep(cast, partner_b, review_b):
    out = StringIO()
    call_command("flag_overdue_reviews", "--now", "2026-03-10T10:00:00+01:00", stdout=out)
    # A never held a review (due 2025-04-01): overdue; B's action (due 2026-02-01): overdue.
    assert "1 overdue review(s) and 1 overdue action(s) flagged." in out.getvalue()
    # The task runs on the real clock (after B's review fell due on 2026-04-20); the action is done with.
    assert tasks.flag_overdue_reviews() == {"reviews_flagged": 1, "actions_flagged": 0}
    assert ReviewAction.objects.get().overdue_flagged_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_notify_once(cast, partner_a, partner_b, review_a, review_b):
    results, barrier = [], threading.Barrier(2)

    def sweep():
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            results.append(services.flag_overdue(now=datetime(2026, 4, 20, 9, tzinfo=UTC)))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["actions_flagged"] for r in results) == 3
    assert sum(r["reviews_flagged"] for r in results) == 1
    assert Notification.objects.count() == 4
    assert Partnership.objects.filter(review_overdue_flagged_for__isnull=False).count() == 1
