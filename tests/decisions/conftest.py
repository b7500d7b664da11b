"""The decisions cast on top of tests/conftest.py: holders for every function the test matrix
needs, in every market (the lint checks them all) and up the SALES ladder DE → DACH → EMEA → GLOBAL.

``price_exception``: decided at market level by SALES (D); COMPLIANCE must agree (A); ACCESS gives
input (I); FINANCE recommends (R). 24-hour SLA on a 24×7 clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def _user(username, role, holdings):
    from governance import services

    return services.user_create(username=username, password="pw-" + username, role=role,
                                email=f"{username}@example.com", first_name=username.split(".")[0].title(),
                                assignments=holdings)


@pytest.fixture
def holders(cast, org, functions):
    """Extra holders. leader_emea already holds SALES@EMEA, manager_de SALES@DE, manager_jp SALES@JP."""
    f = functions
    people = {
        "compliance_de": _user("carla.compliance", "manager", [(f["COMPLIANCE"], org["DE"], "Compliance DE")]),
        "access_de": _user("anna.access", "manager", [(f["ACCESS"], org["DE"], "Market Access DE")]),
        "finance_de": _user("fritz.finance", "manager", [(f["FINANCE"], org["DE"], "Finance DE")]),
        "sales_dach": _user("dirk.dach", "manager", [(f["SALES"], org["DACH"], "Head of Sales DACH")]),
        "sales_global": _user("gina.global", "leader", [(f["SALES"], org["GLOBAL"], "Chief Commercial Officer")]),
        "sales_at": _user("otto.at", "manager", [(f["SALES"], org["AT"], "Country Manager Austria")]),
        "compliance_at": _user("clara.at", "manager", [(f["COMPLIANCE"], org["AT"], "Compliance AT")]),
        "compliance_jp": _user("kenji.compliance", "manager", [(f["COMPLIANCE"], org["JP"], "Compliance JP")]),
    }
    return {**cast, **people}


@pytest.fixture
def price_exception(holders, functions):
    from decisions import services

    return services.decision_type_create(
        actor=holders["admin"], code="PRICE_EXC", name="Distributor price exception", decided_at_level="market",
        sla_hours=24, sla_hours_by_priority={"urgent": 8}, calendar="24x7",
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A"), (functions["ACCESS"], "I"),
                (functions["FINANCE"], "R")],
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
def log_de(holders, price_exception, org):
    """Log a price exception in Germany as max.de at ``now`` (default T0)."""
    from decisions import services

    def make(now=T0, title="Price exception for MedDistrib tender", **kwargs):
        return services.decision_log(actor=holders["manager_de"], decision_type=price_exception, org_unit=org["DE"],
                                     title=title, now=now, **kwargs)

    return make


@pytest.fixture
def compliance_dach(holders, org, functions):
    """Dora holds Compliance for DACH: a Germany agreement not given in time is chased to her."""
    from governance import services as gov

    return gov.user_create(username="dora.dach", password="pw-dora", role="manager", email="dora@example.com",
                           first_name="Dora", assignments=[(functions["COMPLIANCE"], org["DACH"], "Compliance DACH")])


@pytest.fixture
def dach_council(org, functions, price_exception):
    """The DACH Commercial Council, first Tuesday of the month at 10:00 Berlin, decides price exceptions."""
    from datetime import date, time

    from decisions import services

    forum = services.forum_create(name="DACH Commercial Council", org_unit=org["DACH"],
                                  chair_function=functions["SALES"], recurrence="monthly", weekday=1, week_of_month=1,
                                  time_of_day=time(10, 0), first_date=date(2026, 1, 1))
    services.decision_type_update(decision_type=price_exception, forum=forum)
    return forum
