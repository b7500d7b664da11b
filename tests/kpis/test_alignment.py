"""Alignment gaps (issue 19): objectives no KPI measures, and KPIs in use in a unit's scope with no
target at the unit or below for the month — against a hand-built data set, per viewer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.models import KPIOwnership, StrategicObjective
from kpis.selectors import alignment_gaps

pytestmark = pytest.mark.django_db

MAY = date(2025, 5, 1)


@pytest.fixture
def world(org, kpis, record, target, partner_a, partner_b):
    """REV measured in DE with a target there; NPS measured in AT, its only target in JP; DAYS
    measured (and untargeted) in JP; ACCTS measured in DE long ago (not in use); SHARE measured
    nowhere but co-owned by partnership A (Germany), its only target in JP. Objectives: GROW
    (REV), ALIGN and ZERO (no KPI)."""
    grow = StrategicObjective.objects.create(code="GROW", title="Grow revenue", order=1)
    grow.kpis.set([kpis["REV"]])
    StrategicObjective.objects.create(code="ALIGN", title="Align the partners", order=2)
    StrategicObjective.objects.create(code="ZERO", title="Zero stock-outs", order=3)
    KPIOwnership.objects.create(kpi=kpis["SHARE"], partnership=partner_a, weight=Decimal(1))
    record(kpis["REV"], org["DE"], "2025-05", value=10)
    record(kpis["NPS"], org["AT"], "2025-04", value=40)
    record(kpis["DAYS"], org["JP"], "2025-05", value=3)
    record(kpis["ACCTS"], org["DE"], "2024-03", value=7)
    target(kpis["REV"], org["DE"], "2025-05", 12)
    target(kpis["NPS"], org["JP"], "2025-05", 50)
    target(kpis["SHARE"], org["JP"], "2025-05", 0.3)
    return kpis


def codes(result):
    return ([o.code for o in result.objectives_without_kpi], sorted(k.code for k in result.kpis_without_target))


def test_leader_sees_objectives_without_kpi_and_used_kpis_without_target(world, leader_emea):
    result = alignment_gaps(leader_emea, unit_code="EMEA", period=MAY)
    # NPS and SHARE have targets only in Japan: outside EMEA, they leave the gap open.
    assert codes(result) == (["ALIGN", "ZERO"], ["NPS", "SHARE"])
    assert result.gap_count == 4


def test_a_month_without_targets_lists_every_kpi_in_use(world, leader_emea):
    # June: REV's May target does not count; the April NPS measurement is still within the year.
    assert codes(alignment_gaps(leader_emea, unit_code="EMEA", period=date(2025, 6, 1)))[1] == ["NPS", "REV", "SHARE"]


def test_global_scope_counts_targets_anywhere_below(world, admin_user):
    assert codes(alignment_gaps(admin_user, unit_code="GLOBAL", period=MAY)) == (["ALIGN", "ZERO"], ["DAYS"])


def test_a_market_manager_sees_only_their_market(world, manager_de, manager_jp):
    assert codes(alignment_gaps(manager_jp, unit_code="JP", period=MAY))[1] == ["DAYS"]
    de = alignment_gaps(manager_de, unit_code="DE", period=MAY)
    assert codes(de)[1] == ["SHARE"]  # co-owned by partnership A in Germany; the Japan target is not theirs
    # Asking for a foreign unit falls back to their own: Japan's targets never change the answer.
    foreign = alignment_gaps(manager_de, unit_code="JP", period=MAY)
    assert foreign.scope.unit.code == "DE" and codes(foreign) == codes(de)


def test_a_target_in_scope_closes_the_gap(world, org, leader_emea, target):
    target(world["SHARE"], org["DE"], "2025-05", 0.25, partnership=None)
    assert codes(alignment_gaps(leader_emea, unit_code="EMEA", period=MAY))[1] == ["NPS"]


def test_partner_users_get_nothing(world, partner_user, client):
    assert alignment_gaps(partner_user, unit_code=None, period=MAY) is None
    client.force_login(partner_user)
    assert client.get(reverse("kpis:alignment")).status_code == 404


def test_page_lists_the_gaps_and_refuses_a_bad_month(world, leader_emea, client):
    client.force_login(leader_emea)
    page = client.get(reverse("kpis:alignment"), {"unit": "EMEA", "period": "2025-05"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Align the partners" in html and "Zero stock-outs" in html and "Grow revenue" not in html
    assert ">Nps<" in html and ">Share<" in html and ">Rev<" not in html and ">Days<" not in html
    bad = client.get(reverse("kpis:alignment"), {"unit": "EMEA", "period": "2025-13"})
    assert bad.status_code == 400 and b"YYYY-MM" in bad.content
