"""Two beat processes by mistake (the operations guide says: run exactly one) over decisions that
fall due while they run: every due decision gets exactly one warning and one escalation, and
nobody gets a notification twice.

Both beats send the sweep every second to two prefork workers (four sweeps can overlap) for
``ACCORD_TWO_BEATS_SECONDS`` (default 120 s); the decisions fall due one after another over the
first two thirds of that window, so many sweeps race for the same rows.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from tests.reliability.support import (
    pytest_db_url,
    shared_redis_url,
    start_beat,
    start_worker,
    subprocess_env,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

REDIS_DB = 14
DURATION = float(os.environ.get("ACCORD_TWO_BEATS_SECONDS", "120"))
DECISIONS = 120


def test_two_beats_cause_no_duplicate_escalation_or_notification(log_de, holders, processes, tmp_path):
    from decisions.models import Decision, DecisionEvent, Escalation, EventKind
    from governance.models import Notification

    redis_url = shared_redis_url(REDIS_DB)
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis_url, ACCORD_ESCALATION_SWEEP_SECONDS="1")
    workers = [processes.add(start_worker(f"worker-{i}", env, tmp_path, concurrency=2)) for i in (1, 2)]
    for worker in workers:
        wait_worker_ready(worker)

    # Decisions fall due one by one over the first two thirds of the run; each is warned 3 s before.
    start = timezone.now() + timedelta(seconds=8)
    spread = DURATION * 2 / 3
    template = log_de(now=start - timedelta(hours=24), title="Due 0")
    row = Decision.objects.filter(pk=template.pk).values().get()
    row.pop("id")

    def clock(i: int) -> dict:
        due = start + timedelta(seconds=spread * i / DECISIONS)
        return {"due_at": due, "sla_due_at": due, "clock_started_at": due - timedelta(hours=24),
                "warn_at": due - timedelta(seconds=3), "next_deadline_at": due - timedelta(seconds=3)}

    Decision.objects.filter(pk=template.pk).update(**clock(0))
    Decision.objects.bulk_create([Decision(**{**row, "title": f"Due {i}", **clock(i)}) for i in range(1, DECISIONS)])
    ids = set(Decision.objects.values_list("pk", flat=True))

    beats = [processes.add(start_beat("beat-1", env, tmp_path))]
    time.sleep(3)  # staggered: both sync the schedule into the database at start
    beats.append(processes.add(start_beat("beat-2", env, tmp_path)))
    began = time.monotonic()
    while time.monotonic() - began < DURATION:
        assert all(p.alive() for p in [*workers, *beats]), processes.logs()
        time.sleep(2)
    for beat in beats:
        beat.stop()
    wait_until(lambda: Escalation.objects.count() >= DECISIONS, timeout=30, what="every due decision escalated")
    time.sleep(2)  # let the last queued sweeps finish

    sent = [p.log(10_000_000).count("Sending due task decisions-escalate-overdue") for p in beats]
    assert min(sent) >= DURATION / 2, f"both beats must have been sending the sweep: {sent}"

    per_decision = dict(Escalation.objects.values_list("decision").annotate(n=Count("id")))
    assert set(per_decision) == ids and set(per_decision.values()) == {1}
    escalated_events = (DecisionEvent.objects.filter(kind=EventKind.ESCALATED).values("decision")
                        .annotate(n=Count("id")))
    assert len(escalated_events) == DECISIONS and {e["n"] for e in escalated_events} == {1}
    notes = Notification.objects.all()
    assert notes.filter(kind="decision.due_soon").count() == DECISIONS  # one warning to the decider each
    assert notes.filter(kind="decision.escalated", recipient=holders["sales_dach"]).count() == DECISIONS
    assert notes.filter(kind="decision.escalated", recipient=holders["manager_de"]).count() == DECISIONS
    # One notice per event: a chase that stops at the top tells once per function that did not answer
    # (issue 18), so the same kind and decision may reach someone more than once, each with its own key.
    duplicates = notes.values("recipient", "kind", "dedupe_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists(), list(duplicates)
    for worker in workers:
        assert "IntegrityError" not in worker.log(10_000_000)
    print(f"two beats for {DURATION:.0f}s sent the sweep {sent} times; {DECISIONS} decisions each escalated once")
