"""The overdue sweep: 75% warnings, escalation DE → DACH → EMEA → Global exactly once per level,
admins told at the top, catch-up after downtime, and two sweeps racing on PostgreSQL."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from decisions import services
from decisions.clock import level_clock
from decisions.models import Decision, DecisionEvent, Escalation
from governance.models import Notification
from tests.decisions.conftest import T0
from tests.decisions.racing import race

H = timedelta(hours=1)


def ladder(decision):
    return list(Escalation.objects.filter(decision=decision).order_by("level")
                .values_list("level", "to_unit__code", "to_user__username"))


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.mark.django_db
def test_pre_breach_warning_at_75_percent_goes_to_the_decider_once(log_de, holders):
    decision = log_de()
    assert services.escalate_overdue(now=T0 + 17 * H)["warned"] == 0
    assert services.escalate_overdue(now=T0 + 18 * H)["warned"] == 1
    assert services.escalate_overdue(now=T0 + 19 * H)["warned"] == 0
    assert kinds_for(holders["manager_de"]) == ["decision.decide", "decision.due_soon"]
    decision.refresh_from_db()
    assert decision.next_deadline_at == decision.due_at == T0 + 24 * H


@pytest.mark.django_db
def test_escalates_one_level_up_per_missed_deadline_then_admins_at_the_top(log_de, holders):
    decision = log_de()
    services.escalate_overdue(now=T0 + 24 * H)
    assert ladder(decision) == [(1, "DACH", "dirk.dach")]
    decision.refresh_from_db()
    assert decision.decider == holders["sales_dach"] and decision.due_at == T0 + 48 * H
    assert "decision.escalated" in kinds_for(holders["sales_dach"])
    assert "decision.escalated" in kinds_for(holders["manager_de"])  # the requester is told
    services.escalate_overdue(now=T0 + 48 * H)
    services.escalate_overdue(now=T0 + 72 * H)
    assert ladder(decision) == [(1, "DACH", "dirk.dach"), (2, "EMEA", "lena.leader"), (3, "GLOBAL", "gina.global")]
    assert services.escalate_overdue(now=T0 + 96 * H)["exhausted"] == 1
    assert services.escalate_overdue(now=T0 + 200 * H) == {"escalated": 0, "warned": 0, "exhausted": 0, "queued": 0}
    decision.refresh_from_db()
    assert decision.escalation_exhausted and decision.next_deadline_at is None and decision.escalation_level == 3
    assert "decision.overdue_top" in kinds_for(holders["admin"])
    # The Global decider can now decide once Compliance agrees; nobody below can.
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + 97 * H)
    with pytest.raises(services.workflow.NotTheDecider):
        services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="x", now=T0 + 98 * H)
    services.decision_decide(decision=decision, actor=holders["sales_global"], outcome="Grant 8%", now=T0 + 98 * H)
    assert Decision.objects.get().status == "decided"


@pytest.mark.django_db
def test_a_sweep_after_downtime_performs_exactly_the_escalations_due(log_de):
    decision = log_de()
    counts = services.escalate_overdue(now=T0 + 50 * H)  # DE due at 24h, DACH at 48h, EMEA not before 72h
    assert counts["escalated"] == 2
    assert [lvl for lvl, _, _ in ladder(decision)] == [1, 2]
    decision.refresh_from_db()
    assert decision.due_at == T0 + 72 * H  # the schedule does not depend on when the sweep ran
    assert services.escalate_overdue(now=T0 + 50 * H)["escalated"] == 0  # a retried sweep does nothing
    assert DecisionEvent.objects.filter(kind="escalated").count() == 2


@pytest.mark.django_db
def test_decided_and_withdrawn_decisions_are_never_escalated(log_de, holders):
    decided = log_de()
    services.decision_agree(decision=decided, actor=holders["compliance_de"], agree=True, now=T0 + H)
    services.decision_decide(decision=decided, actor=holders["manager_de"], outcome="ok", now=T0 + 2 * H)
    withdrawn = log_de()
    services.decision_withdraw(decision=withdrawn, actor=holders["manager_de"], reason="Moot", now=T0 + H)
    assert services.escalate_overdue(now=T0 + 1000 * H)["escalated"] == 0
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_management_command_runs_the_sweep_at_a_given_instant(log_de):
    log_de()
    out = StringIO()
    call_command("escalate_overdue", "--now", (T0 + 25 * H).isoformat(), stdout=out)
    assert "escalated 1" in out.getvalue()
    assert Escalation.objects.count() == 1


@pytest.mark.django_db
def test_the_celery_task_is_scheduled_every_minute():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["decisions-escalate-overdue"]
    assert entry == {"task": "decisions.tasks.escalate_overdue", "schedule": 60.0}


def _race(now, n_threads=2):
    return race(lambda: services.escalate_overdue(now=now), n_threads)


@pytest.mark.django_db(transaction=True)
def test_overdue_decision_escalates_once_per_level_when_two_sweeps_race(log_de, holders):
    decisions = [log_de(title=f"Race {i}") for i in range(6)]
    for level, unit, hours in [(1, "DACH", 24), (2, "EMEA", 48), (3, "GLOBAL", 72)]:
        results = _race(T0 + hours * H)
        assert sum(r["escalated"] for r in results) == len(decisions), results
        assert Escalation.objects.filter(level=level).count() == len(decisions)
        assert set(Escalation.objects.filter(level=level).values_list("to_unit__code", flat=True)) == {unit}
    for d in decisions:
        assert [lvl for lvl, _, _ in ladder(d)] == [1, 2, 3]
        assert DecisionEvent.objects.filter(decision=d, kind="escalated").count() == 3
    assert Decision.objects.filter(escalation_level=3).count() == len(decisions)
    # Each new decider was told exactly once per decision.
    assert Notification.objects.filter(recipient=holders["sales_global"], kind="decision.escalated").count() == 6


@pytest.mark.django_db
def test_business_hours_clock_uses_the_markets_time_zone_and_its_holidays(holders, functions, org):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from decisions.models import Holiday

    berlin = ZoneInfo("Europe/Berlin")
    dtype = services.decision_type_create(
        actor=holders["admin"], code="TENDER", name="Tender bid approval", decided_at_level="market", sla_hours=8,
        calendar="business", rights=[(functions["SALES"], "D")], now=T0 - 100 * H)
    Holiday.objects.create(org_unit=org["EMEA"], date=date(2026, 3, 9), name="Regional holiday")
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=berlin)
    decision = services.decision_log(actor=holders["manager_de"], decision_type=dtype, org_unit=org["DE"],
                                     title="Bid", now=friday_4pm)
    assert decision.due_at.astimezone(berlin) == datetime(2026, 3, 10, 15, 0, tzinfo=berlin)  # Monday skipped
    assert decision.warn_at.astimezone(berlin) == datetime(2026, 3, 10, 13, 0, tzinfo=berlin)  # 6 of 8 hours


@pytest.mark.django_db
def test_escalation_notifications_are_emailed_after_commit(log_de, holders, django_capture_on_commit_callbacks,
                                                           mailoutbox, mail_worker):
    log_de()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue(now=T0 + 25 * H)
    assert sorted(m.to[0] for m in mailoutbox) == ["dirk.dach@example.com", "max.de@example.com"]
    assert "Escalated to you" in next(m.subject for m in mailoutbox if m.to == ["dirk.dach@example.com"])


# --- The set-based sweep: same rows and texts as one step at a time, constant queries per batch ---------------

def _notes(key_part):
    return {(n.recipient.username, n.kind, n.title, n.body, n.url)
            for n in Notification.objects.filter(dedupe_key__contains=key_part).select_related("recipient")}


@pytest.mark.django_db
def test_each_step_writes_the_same_event_and_notifications_as_before(log_de, holders):
    """Pins the user-visible texts, data and dedupe keys of the three kinds of step."""
    from decisions.services.workflow import decision_url

    decision = log_de(title="Bid")
    url = decision_url(decision)
    assert services.escalate_overdue(now=T0 + 18 * H) == {"escalated": 0, "warned": 1, "exhausted": 0, "queued": 0}
    assert _notes(f"decision:{decision.pk}:warn:0:{T0.isoformat()}") == {
        ("max.de", "decision.due_soon", "Due soon: Bid",
         "75% of the time to decide has passed; due 03 Mar 2026 09:00 CET.", url)}  # max reads Berlin time

    assert services.escalate_overdue(now=T0 + 24 * H) == {"escalated": 1, "warned": 0, "exhausted": 0, "queued": 0}
    event = DecisionEvent.objects.get(decision=decision, kind="escalated")
    assert (event.level, event.actor, event.at) == (1, None, T0 + 24 * H)
    assert event.message == "Not decided at Germany in time: escalated to Dirk (Sales, DACH)."
    assert event.data == {"from_unit": "DE", "to_unit": "DACH", "to_user": "dirk.dach",
                          "missed_deadline": (T0 + 24 * H).isoformat()}
    assert _notes(f"decision:{decision.pk}:escalated:1:{T0.isoformat()}") == {
        ("dirk.dach", "decision.escalated", "Escalated to you: Bid",
         "Not decided at Germany in time. You now decide; due 04 Mar 09:00 CET.", url),
        ("max.de", "decision.escalated", "Your decision was escalated to DACH: Bid", "", url)}
    esc = Escalation.objects.get(decision=decision)
    assert (esc.level, esc.function.code, esc.from_unit.code, esc.to_unit.code, esc.from_user.username,
            esc.to_user.username, esc.missed_deadline, esc.at) == (
        1, "SALES", "DE", "DACH", "max.de", "dirk.dach", T0 + 24 * H, T0 + 24 * H)
    assert decision.participants.filter(user=holders["sales_dach"], role="D", level=1,
                                        org_unit__code="DACH").count() == 1
    decision.refresh_from_db()
    assert (decision.escalation_level, decision.clock_started_at, decision.due_at, decision.warn_at,
            decision.next_deadline_at) == (1, T0 + 24 * H, T0 + 48 * H, T0 + 42 * H, T0 + 42 * H)

    assert services.escalate_overdue(now=T0 + 72 * H)["escalated"] == 2  # DACH → EMEA → Global: catch-up
    assert services.escalate_overdue(now=T0 + 96 * H) == {"escalated": 0, "warned": 0, "exhausted": 1, "queued": 0}
    top = DecisionEvent.objects.get(decision=decision, data__exhausted=True)
    assert top.level == 3
    assert top.message == "Overdue at Global and there is nowhere higher to escalate: admins notified."
    assert _notes(f"decision:{decision.pk}:exhausted:{(T0 + 72 * H).isoformat()}") == {
        (who, "decision.overdue_top", "Overdue with nowhere higher to go: Bid", "Overdue at Global (Sales).", url)
        for who in (holders["admin"].username, "gina.global", "max.de")}
    assert DecisionEvent.objects.filter(decision=decision, kind="escalated").count() == 4


def _copies(template, n, **fields):
    """``n`` more decisions like ``template`` (the same row) with ``fields`` changed."""
    row = Decision.objects.filter(pk=template.pk).values().get()
    row.pop("id")
    return Decision.objects.bulk_create([Decision(**{**row, **fields, "title": f"Copy {i}"}) for i in range(n)])


def _due_in_three_states(log_de, holders, org, n):
    """``n`` decisions at their 75% mark, ``n`` past their DE deadline by a day (they escalate to
    DACH, then warn there: catch-up), ``n`` overdue at Global (nowhere higher)."""
    template = log_de(title="Template")  # due T0 + 24h, warns at T0 + 18h
    _copies(template, n - 1)
    _copies(template, n, clock_started_at=T0 - 24 * H, due_at=T0, warn_at=None, next_deadline_at=T0)
    _copies(template, n, escalation_level=3, deciding_unit_id=org["GLOBAL"].pk,
            decider_id=holders["sales_global"].pk, due_at=T0, warn_at=None, next_deadline_at=T0)


def _sweep_counting_queries(now, **kwargs):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        counts = services.escalate_overdue(now=now, **kwargs)
        transaction.set_rollback(True)  # the same decisions are swept again with more beside them
    return counts, len(ctx.captured_queries)


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_however_many_decisions_are_due(log_de, holders, org):
    _due_in_three_states(log_de, holders, org, 5)
    few, few_queries = _sweep_counting_queries(T0 + 20 * H)
    assert few == {"escalated": 5, "warned": 10, "exhausted": 5, "queued": 0}
    _due_in_three_states(log_de, holders, org, 45)
    many, many_queries = _sweep_counting_queries(T0 + 20 * H)
    assert many == {"escalated": 50, "warned": 100, "exhausted": 50, "queued": 0}
    # ≤ 40: each round also keeps the stage intervals in step (issue 18), a fixed handful of statements.
    assert many_queries == few_queries <= 40, (few_queries, many_queries)
    # Smaller batches: one more set of rounds per batch, nothing else changes.
    small, small_queries = _sweep_counting_queries(T0 + 20 * H, batch_size=50)
    assert small == many and small_queries <= 3 * few_queries


@pytest.mark.django_db
def test_a_sweep_in_small_batches_reaches_every_due_decision(log_de, holders, org):
    _due_in_three_states(log_de, holders, org, 7)
    assert services.escalate_overdue(now=T0 + 20 * H, batch_size=2) == {"escalated": 7, "warned": 14,
                                                                         "exhausted": 7, "queued": 0}
    assert Escalation.objects.filter(level=1, to_unit__code="DACH").count() == 7
    assert not Decision.objects.filter(next_deadline_at__lte=T0 + 20 * H).exists()
    assert services.escalate_overdue(now=T0 + 20 * H) == {"escalated": 0, "warned": 0, "exhausted": 0, "queued": 0}


@pytest.mark.django_db
def test_the_single_step_entry_point_still_takes_one_step(log_de):
    decision = log_de()
    assert services.decision_escalate_step(decision_id=decision.pk, now=T0 + 50 * H) == "escalated"
    assert services.decision_escalate_step(decision_id=decision.pk, now=T0 + 50 * H) == "escalated"
    assert services.decision_escalate_step(decision_id=decision.pk, now=T0 + 50 * H) is None
    assert [lvl for lvl, _, _ in ladder(decision)] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_three_sweeps_in_small_batches_racing_through_a_catch_up_escalate_each_level_once(log_de, holders):
    decisions = [log_de(title=f"Race {i}") for i in range(12)]
    results = race(lambda: services.escalate_overdue(now=T0 + 50 * H, batch_size=5), 3)
    assert sum(r["escalated"] for r in results) == 24, results
    for d in decisions:
        assert [(lvl, unit) for lvl, unit, _ in ladder(d)] == [(1, "DACH"), (2, "EMEA")]
        assert DecisionEvent.objects.filter(decision=d, kind="escalated").count() == 2
    escalated = Notification.objects.filter(kind="decision.escalated")
    assert escalated.filter(recipient=holders["sales_dach"]).count() == 12
    assert escalated.filter(recipient=holders["leader"]).count() == 12
    assert escalated.filter(recipient=holders["manager_de"]).count() == 24  # the requester, once per level


@pytest.mark.django_db
def test_an_escalation_on_business_hours_restarts_the_clock_with_the_markets_holidays(holders, functions, org):
    """The new level's clock: business hours in the market's time zone from the missed deadline,
    skipping the holidays of the market and its ancestors (as ``level_clock`` computes them)."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from decisions.clock import holidays_for
    from decisions.models import Holiday

    berlin = ZoneInfo("Europe/Berlin")
    dtype = services.decision_type_create(
        actor=holders["admin"], code="TENDER", name="Tender bid approval", decided_at_level="market", sla_hours=8,
        calendar="business", rights=[(functions["SALES"], "D")], now=T0 - 100 * H)
    Holiday.objects.create(org_unit=org["EMEA"], date=date(2026, 3, 11), name="Regional holiday")  # a Wednesday
    decision = services.decision_log(actor=holders["manager_de"], decision_type=dtype, org_unit=org["DE"],
                                     title="Bid", now=datetime(2026, 3, 9, 16, 0, tzinfo=berlin))
    missed = decision.due_at
    assert missed.astimezone(berlin) == datetime(2026, 3, 10, 15, 0, tzinfo=berlin)
    assert services.escalate_overdue(now=missed)["escalated"] == 1
    decision.refresh_from_db()
    expected = level_clock(decision_type=dtype, priority=decision.priority, start=missed, org_unit=org["DE"],
                           holidays=holidays_for(org["DE"]))
    assert (decision.due_at, decision.warn_at) == (expected.due_at, expected.warn_at)
    # Tuesday 15:00 + 3 h, Wednesday off, Thursday 09:00 + 5 h.
    assert decision.due_at.astimezone(berlin) == datetime(2026, 3, 12, 14, 0, tzinfo=berlin)
