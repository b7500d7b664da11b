"""Decision latency analytics on a small known data set (API and page)."""

from datetime import timedelta

import pytest

from decisions import services
from tests.decisions.conftest import T0

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def known(log_de, holders):
    """Four decisions in Germany (24 h SLA): decided after 10 h, 20 h and 30 h (the last one past its
    SLA and escalated to DACH), and one still open and overdue at T0 + 100 h."""
    now = T0 + 100 * H

    def decide(hours, input_after=None, agree_after=None, decider="manager_de"):
        d = log_de()
        if input_after is not None:
            services.decision_give_input(decision=d, actor=holders["access_de"], comment="ok", now=T0 + input_after * H)
        services.decision_agree(decision=d, actor=holders["compliance_de"], agree=True, now=T0 + agree_after * H)
        if hours > 24:
            services.escalate_overdue(now=T0 + 24 * H)
        services.decision_decide(decision=d, actor=holders[decider], outcome="done", now=T0 + hours * H)

    decide(10, input_after=2, agree_after=4)
    decide(20, input_after=6, agree_after=8)
    decide(30, agree_after=12, decider="sales_dach")
    log_de(now=T0 + 60 * H)  # open; its SLA ran out at 84 h
    return now


def test_latency_numbers_by_decision_type(api, holders, known, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: known)
    data = api(holders["leader"]).get("/api/v1/decision-analytics/").json()
    overall = data["overall"]
    assert overall == {"decisions": 4, "decided": 3, "open": 1, "overdue": 1, "median_hours": 20.0,
                       "p90_hours": 28.0, "within_sla_pct": 66.7, "escalation_rate_pct": 25.0}
    assert [r["key"] for r in data["rows"]] == ["Distributor price exception"]
    stages = {s["stage"]: (s["count"], s["median_hours"]) for s in data["stages"]}
    # input: 2 h, 6 h; agreement: 4, 8, 12 h; decider: 10-4, 20-8, 30-12 = 6, 12, 18 h
    assert stages == {"input": (2, 4.0), "agreement": (3, 8.0), "decider": (3, 12.0)}
    functions = {(f["function"], f["stage"]): f["median_hours"] for f in data["functions"]}
    assert functions == {("Compliance", "agreement"): 8.0, ("Market Access", "input"): 4.0}


def test_latency_by_org_unit_and_function_is_scoped(api, holders, known):
    by_unit = api(holders["leader"]).get("/api/v1/decision-analytics/?group_by=org_unit").json()
    assert [(r["key"], r["decided"]) for r in by_unit["rows"]] == [("Germany", 3)]
    by_function = api(holders["admin"]).get("/api/v1/decision-analytics/?group_by=function&org_unit=DACH").json()
    assert [(r["key"], r["median_hours"]) for r in by_function["rows"]] == [("Sales", 20.0)]
    japan = api(holders["manager_jp"]).get("/api/v1/decision-analytics/").json()
    assert japan["overall"]["decisions"] == 0 and japan["rows"] == []
    assert api(holders["manager_jp"]).get("/api/v1/decision-analytics/?org_unit=DE").status_code == 404
    assert api(holders["partner"]).get("/api/v1/decision-analytics/").status_code == 403
    assert api().get("/api/v1/decision-analytics/").status_code == 401


def test_analytics_page_shows_the_numbers(client, holders, known, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: known)
    client.force_login(holders["leader"])
    page = client.get("/decisions/analytics/?period=365")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="median">20.0 h<' in html and "66.7%" in html and "latency-chart" in html
    client.force_login(holders["partner"])
    assert client.get("/decisions/analytics/").status_code == 404


@pytest.fixture
def varied(known, log_de, holders):
    """``known`` plus a decision with a Finance recommendation (R) and one withdrawn."""
    d = log_de(now=T0 + 1 * H)
    services.decision_give_input(decision=d, actor=holders["finance_de"], comment="margin ok", now=T0 + 3 * H)
    services.decision_agree(decision=d, actor=holders["compliance_de"], agree=True, now=T0 + 5 * H)
    services.decision_decide(decision=d, actor=holders["manager_de"], outcome="done", now=T0 + 7 * H)
    services.decision_withdraw(decision=log_de(now=T0 + 2 * H), actor=holders["manager_de"], reason="Moot",
                              now=T0 + 3 * H)
    return known


@pytest.mark.parametrize("group_by", ["decision_type", "org_unit", "function"])
def test_sql_aggregation_equals_the_python_reference(holders, org, varied, monkeypatch, group_by):
    """The SQL (percentile_cont, FILTER, GROUPING SETS) gives the numbers of the obvious Python."""
    from decisions import selectors
    from tests.decisions import reference

    for user, unit in [(holders["leader"], None), (holders["admin"], org["DACH"]), (holders["manager_jp"], None)]:
        sql = selectors.latency_analytics(user=user, group_by=group_by, org_unit=unit, now=varied)
        monkeypatch.setattr(selectors, "_latency_sql", reference.latency)
        python = selectors.latency_analytics(user=user, group_by=group_by, org_unit=unit, now=varied)
        monkeypatch.undo()
        assert sql == python, (user, unit)
    assert sql["overall"]["decisions"] == 0  # Japan sees none of it
    leader = selectors.latency_analytics(user=holders["leader"], group_by=group_by, now=varied)
    assert leader["overall"]["decisions"] == 5 and leader["overall"]["decided"] == 4
    assert {(f["function"], f["stage"]) for f in leader["functions"]} == {
        ("Compliance", "agreement"), ("Market Access", "input"), ("Finance", "input")}


def test_analytics_query_count_does_not_grow_with_decisions(api, holders, log_de, django_assert_max_num_queries):
    for i in range(3):
        log_de(now=T0 + i * H)
    client = api(holders["leader"])
    with django_assert_max_num_queries(8) as few:
        assert client.get("/api/v1/decision-analytics/").json()["overall"]["decisions"] == 3
    for i in range(20):
        log_de(now=T0 + i * H)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/decision-analytics/").json()["overall"]["decisions"] == 23
