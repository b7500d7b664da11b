"""A Celery worker killed (``kill -9``) in the middle of the escalation sweep: the next sweep
escalates every overdue decision exactly once — no decision skipped, none escalated twice, no
duplicated notification.

Real processes: a prefork worker on its own Redis db (/13), against the pytest test database.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from tests.reliability.support import (
    celery_client,
    pytest_db_url,
    shared_redis_url,
    start_worker,
    subprocess_env,
    wait_until,
    wait_worker_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_DB = 13
OVERDUE = 200  # one decision per transaction takes ~10-20 ms here: a sweep of seconds, the kill lands mid-sweep
SWEEP = "decisions.tasks.escalate_overdue"
ONE_PER_BATCH = {"batch_size": 1}  # the sweep commits per batch; batches of one make "mid-sweep" observable


def overdue_decisions(log_de, n: int) -> list[int]:
    """``n`` open decisions in Germany whose 24-hour deadline passed a minute ago (one level due each)."""
    from decisions.models import Decision

    due = timezone.now() - timedelta(minutes=1)
    template = log_de(now=due - timedelta(hours=24), title="Overdue 0")
    row = Decision.objects.filter(pk=template.pk).values().get()
    row.pop("id")
    Decision.objects.bulk_create([Decision(**{**row, "title": f"Overdue {i}"}) for i in range(1, n)])
    ids = list(Decision.objects.values_list("pk", flat=True))
    assert len(ids) == n
    return ids


def escalation_count() -> int:
    from decisions.models import Escalation

    return Escalation.objects.count()


def assert_each_escalated_exactly_once(ids: list[int], holders) -> None:
    from decisions.models import Decision, DecisionEvent, Escalation, EventKind
    from governance.models import Notification

    per_decision = dict(Escalation.objects.values_list("decision").annotate(n=Count("id")))
    assert set(per_decision) == set(ids), f"{len(set(ids) - set(per_decision))} overdue decisions never escalated"
    assert set(per_decision.values()) == {1}
    assert set(Decision.objects.values_list("escalation_level", "deciding_unit__code").distinct()) == {(1, "DACH")}
    events = DecisionEvent.objects.filter(kind=EventKind.ESCALATED).values("decision").annotate(n=Count("id"))
    assert {e["n"] for e in events} == {1} and len(events) == len(ids)
    notes = Notification.objects.filter(kind="decision.escalated")
    # one to the new decider (dirk.dach), one to the requester (max.de), per decision — never twice
    assert notes.filter(recipient=holders["sales_dach"]).count() == len(ids)
    assert notes.filter(recipient=holders["manager_de"]).count() == len(ids)
    assert notes.count() == 2 * len(ids)


def _kill_mid_sweep(target_pid: int, n: int) -> int:
    """Wait until the sweep has done some but not all of its work, then SIGKILL ``target_pid``."""
    done = wait_until(lambda: (c := escalation_count()) >= max(3, n // 10) and c, timeout=60, interval=0.02,
                      what="the sweep to start escalating")  # ~10% done
    os.kill(target_pid, signal.SIGKILL)
    assert done < n, f"the sweep finished ({done}/{n}) before the kill: raise OVERDUE"
    return done


def test_worker_killed_mid_sweep_next_sweep_escalates_every_overdue_decision_exactly_once(
        log_de, holders, processes, tmp_path):
    ids = overdue_decisions(log_de, OVERDUE)
    redis_url = shared_redis_url(REDIS_DB)
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis_url)
    client = celery_client(redis_url)

    first = processes.add(start_worker("worker-1", env, tmp_path))
    wait_worker_ready(first)
    client.send_task(SWEEP, kwargs=ONE_PER_BATCH)
    done_at_kill = _kill_mid_sweep(first.pid, OVERDUE)  # kill -9 the worker's main process...
    first.kill9()  # ...and its pool child: the whole worker is gone, mid-sweep, its message unacknowledged
    time.sleep(0.5)
    partial = escalation_count()
    assert done_at_kill <= partial < OVERDUE

    second = processes.add(start_worker("worker-2", env, tmp_path))
    wait_worker_ready(second)
    client.send_task(SWEEP)  # the next beat tick
    wait_until(lambda: escalation_count() >= OVERDUE, timeout=60, what="the next sweep to finish")
    time.sleep(1)  # nothing more arrives late
    assert_each_escalated_exactly_once(ids, holders)


def test_pool_process_killed_mid_sweep_task_is_redelivered_and_completes_exactly_once(
        log_de, holders, processes, tmp_path):
    """acks_late + reject_on_worker_lost: the worker requeues the task of its killed pool process."""
    ids = overdue_decisions(log_de, OVERDUE)
    redis_url = shared_redis_url(REDIS_DB)
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis_url)
    worker = processes.add(start_worker("worker", env, tmp_path))
    wait_worker_ready(worker)
    celery_client(redis_url).send_task(SWEEP, kwargs=ONE_PER_BATCH)

    child = _pool_child(worker.pid)
    _kill_mid_sweep(child, OVERDUE)
    wait_until(lambda: escalation_count() >= OVERDUE, timeout=60, what="the redelivered sweep to finish")
    time.sleep(1)
    assert "WorkerLostError" in worker.log(200_000) or "exited with 'signal 9" in worker.log(200_000)
    assert_each_escalated_exactly_once(ids, holders)


def _pool_child(parent_pid: int) -> int:
    children = wait_until(lambda: _children(parent_pid), timeout=10, what="the worker's pool process")
    return children[0]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except FileNotFoundError:
        return []


CHASED = 60  # decisions whose Compliance agreement is overdue; each chase round writes 3 Chase rows


@pytest.mark.reliability  # a minute of real processes: `make reliability` (CI), not `make test`
def test_worker_killed_mid_chase_next_sweep_chases_every_missing_agreement_exactly_once(
        log_de, holders, compliance_dach, processes, tmp_path):
    """Issue 18: the chasing half of the sweep under a kill -9, as the decider ladder above. Each
    decision was logged 13 h ago: its answers were due after 12 h (the decider's 24 h are not up),
    so Compliance is chased to DACH (Dora) and Market Access and Finance stop at the top."""
    from decisions.models import Chase, Decision
    from governance.models import Notification

    asked = timezone.now() - timedelta(hours=13)
    ids = [log_de(now=asked, title=f"Chase {i}").pk for i in range(CHASED)]
    redis_url = shared_redis_url(REDIS_DB)
    env = subprocess_env(database_url=pytest_db_url(), redis_url=redis_url)
    client = celery_client(redis_url)

    first = processes.add(start_worker("worker-1", env, tmp_path))
    wait_worker_ready(first)
    client.send_task(SWEEP, kwargs=ONE_PER_BATCH)
    done = wait_until(lambda: (c := Chase.objects.count()) >= 3 * 3 and c, timeout=60, interval=0.02,
                      what="the sweep to start chasing")
    first.kill9()
    assert done < 3 * CHASED, f"the sweep finished ({done}) before the kill: raise CHASED"

    second = processes.add(start_worker("worker-2", env, tmp_path))
    wait_worker_ready(second)
    client.send_task(SWEEP)
    wait_until(lambda: Chase.objects.count() >= 3 * CHASED, timeout=90, what="the next sweep to finish chasing")
    time.sleep(1)
    per_decision = dict(Chase.objects.values_list("decision").annotate(n=Count("id")))
    assert per_decision == dict.fromkeys(ids, 3)
    assert set(Chase.objects.filter(to_unit__isnull=False).values_list("function__code", "level", "to_unit__code")
               .distinct()) == {("COMPLIANCE", 1, "DACH")}
    asked_dora = Notification.objects.filter(recipient=compliance_dach, kind="decision.agree")
    assert asked_dora.count() == CHASED  # one ask per decision, none twice
    assert not Decision.objects.filter(pk__in=ids, escalation_level__gt=0).exists()  # the decider ladder waits
