"""Coverage from the nearest holder up the tree: one rule for routing, the matrix lint and escalation.

The cast (tests/decisions/conftest.py): Compliance is held in DE (carla), AT (clara) and JP (kenji);
Sales at DE, AT, JP, DACH, EMEA and GLOBAL.
"""

from datetime import timedelta

import pytest

from decisions import services
from decisions.models import MatrixVersion
from decisions.routing import covered_pairs, nearest_holders, resolve
from governance import services as org_services
from governance.models import Assignment
from tests.decisions.conftest import T0, _user

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def compliance_dach(holders, org, functions):
    return _user("doris.dach", "manager", [(functions["COMPLIANCE"], org["DACH"], "Compliance officer DACH")])


def test_a_dach_compliance_officer_covers_germany_unless_germany_has_its_own(log_de, holders, compliance_dach):
    with_own = log_de(title="Germany has its own Compliance holder")
    assert [p.user for p in with_own.participants.filter(role="A")] == [holders["compliance_de"]]

    holders["compliance_de"].assignments.all().delete()
    covered = log_de(title="Germany's Compliance comes from DACH")
    agree = covered.participants.get(role="A")
    assert (agree.user, agree.org_unit.code) == (compliance_dach, "DACH")
    assert covered.events.get(kind="logged").data["participants"][1] == {
        "user": "doris.dach", "function": "COMPLIANCE", "role": "A"}


def test_the_nearest_holder_wins_and_several_holders_at_one_unit_all_take_part(holders, org, functions,
                                                                               compliance_dach):
    second = _user("dora.dach", "manager", [(functions["COMPLIANCE"], org["DACH"], "Deputy")])
    covers = nearest_holders(unit_ids=[org["DE"].pk, org["AT"].pk, org["DACH"].pk, org["JP"].pk],
                             function_ids=[functions["COMPLIANCE"].pk, functions["MKT"].pk])
    compliance = functions["COMPLIANCE"].pk
    assert covers[(org["DE"].pk, compliance)].user_ids == (holders["compliance_de"].pk,)
    assert covers[(org["DACH"].pk, compliance)].user_ids == (compliance_dach.pk, second.pk)  # oldest first
    assert covers[(org["DACH"].pk, compliance)].org_unit_id == org["DACH"].pk
    assert (org["JP"].pk, functions["MKT"].pk) not in covers  # nobody holds Marketing anywhere
    above = nearest_holders(unit_ids=[org["DE"].pk], function_ids=[compliance], strictly_above=True)
    assert above[(org["DE"].pk, compliance)].user_ids == (compliance_dach.pk, second.pk)


def test_inactive_holders_do_not_cover(holders, org, functions, compliance_dach):
    compliance_dach.is_active = False
    compliance_dach.save()
    holders["compliance_de"].assignments.all().delete()
    assert (org["DE"].pk, functions["COMPLIANCE"].pk) not in nearest_holders(
        unit_ids=[org["DE"].pk], function_ids=[functions["COMPLIANCE"].pk])


def test_the_lints_covered_pairs_are_exactly_the_pairs_someone_holds(holders, org, functions, compliance_dach):
    """The matrix lint asks ``covered_pairs``; routing asks ``nearest_holders``: the same pairs, inactive
    holders left out, for units with a holder of their own, covered from above, and covered by nobody."""
    units = [org[code].pk for code in ("DE", "AT", "DACH", "JP", "EMEA", "GLOBAL")]
    asked = [f.pk for f in functions.values()]
    holders["compliance_jp"].is_active = False  # Japan's only Compliance holder, and nobody above Japan
    holders["compliance_jp"].save()
    pairs = covered_pairs(unit_ids=units, function_ids=asked)
    assert pairs == set(nearest_holders(unit_ids=units, function_ids=asked))
    compliance = functions["COMPLIANCE"].pk
    assert {(org["DE"].pk, compliance), (org["DACH"].pk, compliance)} <= pairs  # DE its own, DACH's officer
    assert (org["JP"].pk, compliance) not in pairs and (org["JP"].pk, functions["MKT"].pk) not in pairs
    assert covered_pairs(unit_ids=units, function_ids=[]) == set()


def test_lint_reports_a_gap_only_where_nobody_in_the_units_chain_holds_the_function(holders, price_exception,
                                                                                    compliance_dach):
    cells = services.matrix_cells(MatrixVersion.objects.head())
    holders["compliance_de"].assignments.all().delete()
    holders["compliance_at"].assignments.all().delete()
    assert services.matrix_lint(cells=cells).ok  # DACH covers DE and AT
    holders["compliance_jp"].assignments.all().delete()
    report = services.matrix_lint(cells=cells)
    assert [(i.kind, i.decision_type, i.org_unit, i.function) for i in report.issues] == [
        ("gap", "PRICE_EXC", "JP", "COMPLIANCE")]
    assert report.issues[0].message == ("Distributor price exception: nobody holds Compliance (A) at Japan or above.")
    assert not report.blocking  # a gap is a warning, not a conflict


def test_routing_and_lint_use_the_same_rule_for_every_market(holders, price_exception, org, functions,
                                                             compliance_dach):
    """For each market, lint finds a gap exactly where routing finds nobody for the A seat."""
    holders["compliance_de"].assignments.all().delete()
    holders["compliance_jp"].assignments.all().delete()
    report = services.matrix_lint(cells=services.matrix_cells(MatrixVersion.objects.head()))
    gaps = {i.org_unit for i in report.gaps}
    for code in ("DE", "AT", "JP"):
        routing = resolve(decision_type=price_exception, org_unit=org[code], at=T0, strict=False)
        nobody = any(s.user is None for s in routing.by_role("A"))
        assert nobody == (code in gaps), code
    assert gaps == {"JP"}


def test_a_decision_decided_by_a_covering_holder_escalates_above_them(log_de, holders, org, functions):
    # Nobody holds Sales in Germany: DACH's Sales head decides, and escalation goes on to EMEA.
    Assignment.objects.filter(user=holders["manager_de"]).delete()
    org_services.assignments_replace(user=holders["manager_de"], assignments=[
        (functions["MKT"], org["DE"], "Marketing DE")])
    decision = log_de()
    assert (decision.decider, decision.deciding_unit.code) == (holders["sales_dach"], "DACH")
    services.escalate_overdue(now=T0 + 24 * H)
    decision.refresh_from_db()
    assert (decision.decider, decision.deciding_unit.code) == (holders["leader"], "EMEA")
