"""Issue 18, chasing the blocker: a missing agreement or input is reminded at its pre-breach point
and, at its own deadline (half the level's time), chased to the same function one level up —
exactly once per level, with two sweeps racing or a sweep dying between batches."""

from datetime import timedelta

import pytest

from decisions import services
from decisions.models import Chase, DecisionEvent, DecisionParticipant, DecisionStage
from decisions.services import chasing
from decisions.services.stage_backfill import backfill_stages
from governance.models import Notification
from tests.decisions.conftest import T0
from tests.decisions.racing import race
from tests.decisions.test_stages import intervals

H = timedelta(hours=1)
URL = "/api/v1/decisions/"


def notes(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind).count()


@pytest.mark.django_db
def test_missing_answers_are_reminded_then_chased_one_level_up_exactly_once_per_level(
        api, log_de, holders, compliance_dach):
    decision = log_de()  # 24 h on a 24×7 clock: answers due after 12 h, reminded after 9 h
    assert services.chase_overdue(now=T0 + 9 * H - timedelta(seconds=1)) == {"reminded": 0, "chased": 0, "top": 0}
    assert services.chase_overdue(now=T0 + 9 * H) == {"reminded": 3, "chased": 0, "top": 0}
    assert services.chase_overdue(now=T0 + 10 * H) == {"reminded": 0, "chased": 0, "top": 0}
    assert notes(holders["compliance_de"], "decision.answer_due") == 1
    assert notes(holders["access_de"], "decision.answer_due") == 1

    # Compliance DE does not agree: the DACH Compliance officer is asked; nobody holds Market Access
    # or Finance above Germany, so those stop there (the requester, decider and admins are told).
    assert services.chase_overdue(now=T0 + 12 * H) == {"reminded": 0, "chased": 1, "top": 2}
    assert services.chase_overdue(now=T0 + 13 * H) == {"reminded": 0, "chased": 0, "top": 0}
    assert list(Chase.objects.filter(decision=decision, to_unit__isnull=False)
                .values_list("stage", "function__code", "level", "to_unit__code")) == [
        ("agree", "COMPLIANCE", 1, "DACH")]
    assert DecisionParticipant.objects.filter(decision=decision, user=compliance_dach, role="A", level=1).exists()
    assert notes(compliance_dach, "decision.agree") == 1
    assert notes(holders["admin"], "decision.answer_overdue_top") == 2
    waiting = DecisionStage.objects.get(decision=decision, stage="agree", ended_at__isnull=True)
    assert (waiting.org_unit.code, waiting.level, waiting.due_at) == ("DACH", 1, T0 + 24 * H)
    # The chased and the stopped chases are in the timeline with a kind that says "escalat".
    events = api(holders["manager_de"]).get(f"{URL}{decision.pk}/events/").json()["results"]
    chased = [e for e in events if "escalat" in e["kind"]]
    assert sorted(e["kind"] for e in chased) == ["agree_escalated", "input_escalated", "input_escalated"]
    assert any("Dora" in e["message"] for e in chased)
    # The partner never sees them (internal), nor the internal team at all here.
    assert DecisionEvent.objects.restrict(holders["partner"], "view").filter(decision=decision).count() == 0

    # Level 2: nobody holds Compliance above DACH.
    assert services.chase_overdue(now=T0 + 24 * H)["top"] == 1
    assert services.chase_overdue(now=T0 + 30 * H) == {"reminded": 0, "chased": 0, "top": 0}
    assert Chase.objects.filter(decision=decision).count() == 4
    # One answer of the function counts: Dora agrees, the decision now waits on its decider.
    services.decision_agree(decision=decision, actor=compliance_dach, agree=True, now=T0 + 31 * H)
    assert {r.stage for r in DecisionStage.objects.filter(decision=decision, ended_at__isnull=True)} == {
        "input", "decision"}
    rows = intervals(decision)
    assert ("agree", "COMPLIANCE@DE", T0, T0 + 12 * H, 12 * 3600) in rows
    assert ("agree", "COMPLIANCE@DACH", T0 + 12 * H, T0 + 31 * H, 19 * 3600) in rows
    live = intervals(decision)
    backfill_stages([decision.pk])
    assert intervals(decision) == live


def _race(now, n_threads=2):
    return race(lambda: services.chase_overdue(now=now), n_threads)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_chase_each_missing_agreement_once(log_de, holders, compliance_dach):
    decisions = [log_de(title=f"Race {i}") for i in range(6)]
    results = _race(T0 + 9 * H)
    assert sum(r["reminded"] for r in results) == 3 * len(decisions)
    results = _race(T0 + 12 * H)
    assert sum(r["chased"] for r in results) == len(decisions), results
    assert Chase.objects.filter(stage="agree", level=1).count() == len(decisions)
    assert DecisionEvent.objects.filter(kind="agree_escalated").count() == len(decisions)
    assert notes(compliance_dach, "decision.agree") == len(decisions)
    assert notes(holders["compliance_de"], "decision.answer_due") == len(decisions)
    assert DecisionStage.objects.filter(stage="agree", ended_at__isnull=True, org_unit__code="DACH").count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_dies_between_batches_keeps_what_it_committed_and_the_next_finishes_once(
        log_de, holders, compliance_dach, monkeypatch):
    decisions = [log_de(title=f"Killed {i}") for i in range(4)]
    real = chasing.notify_many
    calls = []

    def dying(notices, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")  # the second batch dies before it commits
        return real(notices, **kwargs)

    monkeypatch.setattr(chasing, "notify_many", dying)
    with pytest.raises(SystemExit):
        services.chase_overdue(now=T0 + 12 * H, batch_size=2)
    assert Chase.objects.filter(stage="agree").count() == 2  # the first batch stands
    monkeypatch.setattr(chasing, "notify_many", real)
    assert services.chase_overdue(now=T0 + 12 * H, batch_size=2)["chased"] == 2
    for d in decisions:
        assert Chase.objects.filter(decision=d, stage="agree", level=1).count() == 1
        assert DecisionEvent.objects.filter(decision=d, kind="agree_escalated").count() == 1
    assert notes(compliance_dach, "decision.agree") == len(decisions)


@pytest.mark.django_db
def test_an_answered_or_vetoed_agreement_is_not_chased(log_de, holders, compliance_dach):
    answered = log_de(title="Answered")
    services.decision_agree(decision=answered, actor=holders["compliance_de"], agree=True, now=T0 + H)
    vetoed = log_de(title="Vetoed")
    services.decision_agree(decision=vetoed, actor=holders["compliance_de"], agree=False, comment="No",
                            now=T0 + H)
    services.chase_overdue(now=T0 + 12 * H)
    assert not Chase.objects.filter(decision__in=[answered, vetoed], stage="agree").exists()
