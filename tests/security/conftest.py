"""The security suite's world: for every resource, one object in Germany / partnership A ("a")
and one in Japan / partnership B ("b"), on top of the shared cast.

Who should see what (the cast from tests/conftest.py):

| role        | a (DE, partnership A) | b (JP, partnership B) |
|-------------|-----------------------|-----------------------|
| admin       | yes                   | yes                   |
| leader EMEA | yes                   | no                    |
| manager DE  | yes                   | no                    |
| manager JP  | no                    | yes                   |
| partner (A) | yes (partnership rows)| no                    |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ROLES = ("admin", "leader", "manager_de", "manager_jp", "partner", "anon")
NATO = {"a": "Alpha", "b": "Bravo"}

# Names a role must never read on any page: the other side's scoped objects (reference data such
# as decision types and, for internal users, KPIs is readable by everyone; objectives are scoped).
_SCOPED_NAMES = {"a": ["Partnership A", "MedDistrib GmbH", "QBR Alpha", "Action Alpha", "Decision Alpha",
                       "Forum Alpha", "Objective Alpha"],
                 "b": ["Partnership B", "Nihon Supply KK", "QBR Bravo", "Action Bravo", "Decision Bravo",
                       "Objective Bravo"]}
UNSEEN_NAMES = {
    "admin": [],
    "leader": _SCOPED_NAMES["b"],
    "manager_de": _SCOPED_NAMES["b"],
    "manager_jp": _SCOPED_NAMES["a"],
    "partner": [*_SCOPED_NAMES["b"], "KPI Bravo", "Objective Alpha", "Objective Global", "Forum Alpha"],
    "anon": [*_SCOPED_NAMES["a"], *_SCOPED_NAMES["b"]],
}


@dataclass
class World:
    cast: dict
    org: dict
    functions: dict
    a: dict = field(default_factory=dict)  # resource kind -> object in DE / partnership A
    b: dict = field(default_factory=dict)  # resource kind -> object in JP / partnership B

    def user(self, role: str):
        return None if role == "anon" else self.cast[role]


def _scores(value: int = 3) -> dict:
    return {f: value for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing",
                               "joint_planning", "value_delivery"]}


@pytest.fixture
def world(cast, org, functions, partner_a, partner_b) -> World:
    from decisions import services as decisions
    from governance import services as governance
    from kpis.catchball.services import proposal_create
    from kpis.models import StrategicObjective as Objective
    from kpis.services.definitions import kpi_create, objective_save, target_set
    from kpis.services.measurements import measurements_record
    from partners import services as partners
    from partners.commitments.models import Commitment
    from partners.enablement.services import enablement_create

    admin, f = cast["admin"], functions
    w = World(cast=cast, org=org, functions=functions)
    # The matrix lint wants a SALES decider in every market.
    w.cast["sales_at"] = governance.user_create(username="otto.at", password="pw-otto.at", role="manager",
                                                assignments=[(f["SALES"], org["AT"], "Country Manager Austria")])
    for key, unit, partnership, member in (("a", "DE", partner_a, cast["manager_de"]),
                                           ("b", "JP", partner_b, cast["manager_jp"])):
        side = getattr(w, key)
        side["org_unit"] = org[unit]
        side["function"] = f["SALES"] if key == "a" else f["FINANCE"]
        side["user"] = member
        side["partnership"] = partnership
        side["partner"] = partnership.partner
        side["assessment"] = partners.assessment_create(actor=admin, partnership=partnership, scores=_scores(),
                                                        now=NOW)
        side["review"] = partners.review_create(actor=admin, partnership=partnership, date=date(2026, 1, 15),
                                                title=f"QBR {NATO[key]}")
        owner = cast["partner"] if key == "a" else cast["manager_jp"]
        side["review_action"] = partners.action_create(actor=admin, review=side["review"], title=f"Action {NATO[key]}",
                                                       owner=owner, due_date=date(2026, 4, 1))
        side["enablement"] = enablement_create(actor=admin, partnership=partnership, kind="training",
                                               title=f"Training {NATO[key]}", owner=owner, due_date=date(2026, 4, 1))
        side["kpi"] = kpi_create(code=f"K{key.upper()}", name=f"KPI {NATO[key]}", unit="u", aggregation="sum",
                                 direction="higher", category="adoption",
                                 owners=[(f["SALES"], None, Decimal(1)), (None, partnership, Decimal(1))])
        side["target"] = target_set(kpi=side["kpi"], org_unit=org[unit], partnership=partnership,
                                    period=date(2026, 1, 1), value=Decimal(100))
        side["measurement"] = measurements_record(
            actor=admin, rows=[{"kpi": side["kpi"].code, "org_unit": unit, "partnership": partnership.pk,
                                "period": "2026-01", "value": "90"}], now=NOW).measurements[0]
        # A target proposal for the partnership (the company's side proposed; the partner's turn).
        side["proposal"] = proposal_create(actor=member, kpi=side["kpi"], org_unit=org[unit], partnership=partnership,
                                           period=date(2026, 2, 1), value="120", now=NOW)
        # Objectives of the cascade: a (Germany) and b (Japan) refine one global objective.
        top = Objective.objects.filter(code="OBJG").first() or objective_save(
            code="OBJG", title="Objective Global", org_unit=org["GLOBAL"])
        side["objective"] = objective_save(code=f"OBJ{key.upper()}", title=f"Objective {NATO[key]}", kpis=[side["kpi"]],
                                           parent=top, org_unit=org[unit])
        side["decision_type"] = decisions.decision_type_create(
            actor=admin, code=f"DT{key.upper()}", name=f"Decision type {NATO[key]}", decided_at_level="market",
            sla_hours=24, calendar="24x7", rights=[(f["SALES"], "D")], now=NOW)
        side["forum"] = decisions.forum_create(name=f"Forum {NATO[key]}", org_unit=org[unit], time_of_day=time(10),
                                               first_date=date(2026, 1, 1))
        side["commitment"] = Commitment.objects.create(
            partnership=partnership, side="ours", measure="decision_sla", decision_type=side["decision_type"], days=2,
            name=f"Commitment {NATO[key]}")
        # Decisions are internal by default; both are shared with their partner, so partner user A
        # reads decision a (test_confidentiality.py covers internal ones).
        side["decision"] = decisions.decision_log(actor=member, decision_type=side["decision_type"],
                                                  org_unit=org[unit], partnership=partnership,
                                                  title=f"Decision {NATO[key]}", visibility="shared", now=NOW)
    from reports.models import BriefingBook, PackFile

    for side in (w.a, w.b):  # a finished briefing book of each side's review, its shared PDF stored
        side["book"] = BriefingBook.objects.create(kind="partnership", partnership=side["partnership"],
                                                   review=side["review"], requested_by=admin, requested_at=NOW,
                                                   status="done", progress=100, title="Briefing book")
        PackFile.objects.create(book=side["book"], audience="shared", fmt="pdf", filename="book.pdf",
                                content=b"%PDF-1.4 book", size=13)
    from kpis.models import ImportJob

    for side, owner in ((w.a, "manager_de"), (w.b, "manager_jp")):  # an import job of each side's manager
        side["import_job"] = ImportJob.objects.create(requested_by=cast[owner], requested_at=NOW, filename="a.csv",
                                                      fmt="csv", content=b"kpi,org_unit,period,value\n", size=26,
                                                      status="confirm", warnings=[], warning_count=1)
    from decisions.models import MatrixVersion

    versions = list(MatrixVersion.objects.order_by("number"))
    w.a["matrix_version"], w.b["matrix_version"] = versions[0], versions[-1]
    return w
