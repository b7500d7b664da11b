"""Issue 19, anonymised peer benchmarks: computed by the rollup (stored), a partner sees their band,
the cohort's median and size per KPI they co-own — nothing under the minimum cohort, never a peer's
name or value (property test over random cohorts); leaders see the named grid of their scope."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis.services.measurements import measurements_record
from kpis.services.rollup import ensure_calendar, rollup_full, rollup_incremental
from partners.benchmarks.models import PeerCohort, PeerPosition
from partners.models import Partner, Partnership

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
URL = "/api/v1/partnerships/{}/benchmarks/?period=2026-03"


@pytest.fixture
def sellout(functions, partner_a):
    from kpis.services.definitions import kpi_create

    return kpi_create(code="SELLOUT", name="Joint sell-out", unit="units", aggregation="sum", direction="higher",
                      category="adoption", owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])


def _peers(n, org, functions, *, type="distribution", prefix="Peer"):
    distributor = Partner.objects.create(name=f"{prefix} Holdings", kind="distributor")
    peers = []
    for i in range(n):
        p = Partnership.objects.create(partner=distributor, name=f"{prefix} {i}", type=type,
                                       owner_function=functions["SALES"], start=date(2025, 1, 1))
        p.org_units.set([org["DE"]])
        peers.append(p)
    return peers


def _record(actor, kpi, org, values: dict, period="2026-03"):
    rows = [{"kpi": kpi.code, "org_unit": "DE", "period": period, "partnership": p.pk, "value": v}
            for p, v in values.items()]
    measurements_record(actor=actor, rows=rows, now=datetime(2026, 4, 2, tzinfo=UTC))


def _band(own, values, direction="higher"):
    """The reference: the share of the cohort the partnership does at least as well as → quartile."""
    merit = (lambda v: v) if direction == "higher" else (lambda v: -v)
    share = sum(1 for v in values if merit(v) <= merit(own)) / len(values)
    return "top" if share > 0.75 else "second" if share > 0.5 else "third" if share > 0.25 else "bottom"


def test_a_partner_sees_their_band_the_median_and_the_cohort_size(api, cast, org, functions, partner_a, partner_b,
                                                                  sellout):
    peers = _peers(4, org, functions)
    _record(cast["admin"], sellout, org, {partner_a: 900, **dict(zip(peers, [100, 200, 300, 400], strict=True))})
    ensure_calendar()
    rollup_full()
    body = api(cast["partner"]).get(URL.format(partner_a.pk)).json()
    assert body == [{"kpi": "SELLOUT", "band": "top", "median": 300.0, "cohort_size": 5}]
    text = json.dumps(body)
    assert "Peer" not in text and all(str(v) not in text for v in (100, 200, 400, 900))
    cohort = PeerCohort.objects.get()
    assert (cohort.cohort_size, cohort.median, cohort.p25, cohort.p75) == (5, 300, 200, 400)
    # Another partnership's benchmark does not exist for this partner.
    assert api(cast["partner"]).get(URL.format(peers[0].pk)).status_code == 404
    assert api(cast["partner"]).get(URL.format(partner_b.pk)).status_code == 404


def test_under_the_minimum_cohort_nothing_is_shown(api, cast, org, functions, partner_a, sellout, settings):
    peers = _peers(3, org, functions)
    _record(cast["admin"], sellout, org, {partner_a: 50, **dict(zip(peers, [10, 20, 30], strict=True))})
    ensure_calendar()
    rollup_full()
    assert api(cast["partner"]).get(URL.format(partner_a.pk)).json() == []
    settings.ACCORD_BENCHMARK_MIN_COHORT = 4
    assert api(cast["partner"]).get(URL.format(partner_a.pk)).json()[0]["cohort_size"] == 4


def test_the_cohort_is_the_partnership_type_and_the_incremental_rollup_keeps_it(api, cast, org, functions, partner_a,
                                                                                sellout):
    peers = _peers(4, org, functions)
    others = _peers(3, org, functions, type="co_promotion", prefix="Copromo")
    ensure_calendar()
    _record(cast["admin"], sellout, org, {partner_a: 10, **dict(zip(peers + others, [1, 2, 3, 4, 99, 98, 97],
                                                                    strict=True))})
    rollup_incremental()
    assert api(cast["partner"]).get(URL.format(partner_a.pk)).json() == [
        {"kpi": "SELLOUT", "band": "top", "median": 3.0, "cohort_size": 5}]
    _record(cast["admin"], sellout, org, {partner_a: 0})  # a correction: now the weakest
    rollup_incremental()
    incremental = sorted(PeerPosition.objects.values_list("partnership_id", "band", "percentile"))
    assert api(cast["partner"]).get(URL.format(partner_a.pk)).json()[0]["band"] == "bottom"
    rollup_full()
    assert sorted(PeerPosition.objects.values_list("partnership_id", "band", "percentile")) == incremental


def test_bad_period_is_400(api, cast, partner_a):
    assert api(cast["partner"]).get(f"/api/v1/partnerships/{partner_a.pk}/benchmarks/?period=2026-13"
                                    ).status_code == 400


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25, deadline=None)
@given(own=st.integers(0, 1000), peer_values=st.lists(st.integers(0, 1000), max_size=9),
       minimum=st.integers(2, 7), direction=st.sampled_from(["higher", "lower"]))
def test_property_only_aggregates_and_only_at_or_above_the_minimum(api, cast, org, functions, partner_a,
                                                                   own, peer_values, minimum, direction):
    from django.conf import settings as django_settings

    from kpis.services.definitions import kpi_create

    ensure_calendar()
    with transaction.atomic():
        kpi = kpi_create(code="PROP", name="Prop", unit="u", aggregation="sum", direction=direction,
                         category="other", owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])
        peers = _peers(len(peer_values), org, functions, prefix="Rival")
        _record(cast["admin"], kpi, org, {partner_a: own, **dict(zip(peers, peer_values, strict=True))})
        rollup_full()
        old = django_settings.ACCORD_BENCHMARK_MIN_COHORT
        django_settings.ACCORD_BENCHMARK_MIN_COHORT = minimum
        try:
            response = api(cast["partner"]).get(URL.format(partner_a.pk))
        finally:
            django_settings.ACCORD_BENCHMARK_MIN_COHORT = old
        assert response.status_code == 200
        body = response.json()
        values = [own, *peer_values]
        if len(values) < minimum:
            assert body == []
        else:
            # Exactly a function of (own value, the multiset of peer values): nothing attributable to a peer.
            assert body == [{"kpi": "PROP", "band": _band(own, values, direction),
                             "median": float(Decimal(str(statistics.median(values)))), "cohort_size": len(values)}]
        text = response.content.decode()
        assert "Rival" not in text and all(set(b) == {"kpi", "band", "median", "cohort_size"} for b in body)
        transaction.set_rollback(True)


def test_the_portal_panel_and_the_leaders_named_grid(client, cast, org, functions, partner_a, partner_b, sellout):
    peers = _peers(4, org, functions)
    _record(cast["admin"], sellout, org, {partner_a: 900, **dict(zip(peers, [100, 200, 300, 400], strict=True))})
    ensure_calendar()
    rollup_full()
    client.force_login(cast["partner"])
    page = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    panel = page[page.index('data-testid="peer-benchmarks"'):]
    panel = panel[:panel.index("</table>")]
    assert "top quartile" in panel and "300" in panel and "named grid" not in panel
    assert not any(name in panel for name in ("Peer 0", "Peer 3", "Peer Holdings", "100", "400"))
    assert client.get("/kpis/benchmarks/").status_code == 404
    client.force_login(cast["leader"])
    grid = client.get("/kpis/benchmarks/?type=distribution&period=2026-03").content.decode()
    assert all(name in grid for name in ("Partnership A", "Peer 0", "Peer 3")) and "900" in grid
    client.force_login(cast["manager_jp"])  # Japan: none of these partnerships is in his scope
    grid = client.get("/kpis/benchmarks/?type=distribution&period=2026-03").content.decode()
    assert "Peer 0" not in grid and "Partnership A" not in grid and "None of these partnerships" in grid
    # The grid's old address (before it moved above the KPIs, issue 21) sends its query along.
    moved = client.get("/partners/benchmarks/?type=distribution&period=2026-03")
    assert moved.status_code == 301 and moved["Location"] == "/kpis/benchmarks/?type=distribution&period=2026-03"
