"""The demo seed: ~15 decision types, a valid published matrix, a few hundred decisions; idempotent."""

import pytest

from decisions import demo, services
from decisions.models import Decision, DecisionType, Escalation, MatrixVersion

pytestmark = pytest.mark.django_db


@pytest.mark.slow  # seeds the whole demo organisation
def test_demo_seeds_a_valid_matrix_and_a_story_for_the_analytics():
    from governance import demo as governance_demo
    from partners import demo as partners_demo

    governance_demo.seed()
    partners_demo.seed()
    counts = demo.seed()
    assert counts["decision_types"] == DecisionType.objects.count() == 15 + len(demo.JOINT_TYPES)
    assert 300 <= counts["decisions"] <= 400 and counts["escalations"] > 20
    assert services.matrix_lint(cells=services.matrix_cells(MatrixVersion.objects.get())).ok
    statuses = set(Decision.objects.values_list("status", flat=True))
    assert statuses == {"open", "decided", "withdrawn"}
    assert Decision.objects.filter(status="open", escalation_level__gt=0).exists()
    assert Decision.objects.filter(decider__username="manager.de", status="open").exists()
    # Joint decisions (issue 19): the demo partner agreed to one and is asked to agree to / give input on two.
    joint = Decision.objects.filter(participants__user__username="partner.demo").distinct()
    assert sorted(joint.values_list("status", "visibility")) == [("decided", "shared"), ("open", "shared"),
                                                                 ("open", "shared")]
    assert demo.seed() == counts  # idempotent
    assert Escalation.objects.filter(level=1).count() >= Escalation.objects.filter(level=2).count()


def test_demo_decisions_wait_on_each_kind_of_party():
    """Issue 18: functions, the requester (vetoed) and the partner (paused for their data)."""
    from decisions.models import DecisionStage
    from governance import demo as governance_demo
    from partners import demo as partners_demo

    governance_demo.seed()
    partners_demo.seed()
    demo.seed()
    waiting = set(DecisionStage.objects.filter(ended_at__isnull=True).values_list("stage", "party_kind"))
    assert {("agree", "function"), ("input", "function"), ("decision", "function"), ("drafting", "requester"),
            ("paused", "partner")} <= waiting
    # The generated log's intervals were rebuilt from its timelines: closed decisions have closed ones.
    assert DecisionStage.objects.filter(decision__status="decided", ended_at__isnull=False).exists()
    assert not DecisionStage.objects.filter(decision__status="decided", ended_at__isnull=True).exists()


def test_the_demo_council_has_a_decision_on_its_agenda():
    """Issue 18: the DACH Commercial Council decides distributor terms; one decision is queued."""
    from decisions.models import AgendaItem
    from governance import demo as governance_demo
    from partners import demo as partners_demo

    governance_demo.seed()
    partners_demo.seed()
    demo.seed()
    item = AgendaItem.objects.select_related("forum", "decision").get(closed_at__isnull=True)
    assert item.forum.name == "DACH Commercial Council" and item.reason == "flagged"
    assert item.decision.title == "Payment terms for Austrian distributor renewal"
    assert item.forum.exceptions.count() == 1  # its next meeting is cancelled: the queue waits for the one after
    assert item.meeting_at.date() > item.forum.exceptions.get().date
