"""Pages: the leaders' dashboard (constant query count, drill-down, benchmarking), a KPI's
trend, CSV import/template/export, and the partnership KPI tag."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from governance import services as org_services
from kpis import selectors
from kpis.models import KPIOwnership, Measurement, StrategicObjective
from kpis.selectors import overview
from kpis.services.definitions import kpi_create
from kpis.services.measurements import csv_safe
from kpis.services.rollup import rollup_incremental
from kpis.services.scorecards import ATTAINMENT_CAP, weighted_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled(org, kpis, record, target, partner_a):
    record(kpis["REV"], org["DE"], "2025-01", value=120)
    record(kpis["REV"], org["AT"], "2025-01", value=40)
    target(kpis["REV"], org["DE"], "2025-01", 100)
    target(kpis["REV"], org["AT"], "2025-01", 100)
    record(kpis["SHARE"], org["DE"], "2025-01", numerator=1, denominator=2)
    target(kpis["SHARE"], org["DE"], "2025-01", "0.5")
    record(kpis["ACCTS"], org["DE"], "2025-01", value=9)
    target(kpis["ACCTS"], org["DE"], "2025-01", 10)
    record(kpis["REV"], org["DE"], "2025-01", value=30, partnership=partner_a)
    target(kpis["REV"], org["DE"], "2025-01", 40, partnership=partner_a)
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    objective = StrategicObjective.objects.create(code="WIN", title="Win the launch")
    objective.kpis.set([kpis["REV"], kpis["SHARE"]])
    rollup_incremental()


def login(client, user):
    client.force_login(user)
    return client


def test_dashboard_shows_heatmap_drill_down_and_weighted_function_scorecards(client, cast, kpis, rolled):
    response = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01")
    assert response.status_code == 200
    d = response.context["d"]
    assert [c.code for c in d.scope.children] == ["AT", "DE"]
    rev = next(r for r in d.rows if r.kpi.code == "REV")
    assert [c.actual for c in rev.children] == [40, 150]  # DE: 120 direct + 30 via partnership A
    assert rev.cell.actual == 190 and rev.cell.rag == "amber"  # 190 / 200
    sales = next(c for c in d.function_cards if c.owner.code == "SALES")
    # SALES co-owns REV (weight 2, 0.95), SHARE (1, 1.0) and ACCTS (1, 0.9): (1.9 + 1.0 + 0.9) / 4
    assert sales.score == Decimal("0.95") and sales.status == "amber" and sales.worst == "amber"
    assert [(c.owner.name, c.score) for c in d.partner_cards] == [("Partnership A", Decimal("0.75"))]
    assert d.objectives[0][0].code == "WIN" and len(d.objectives[0][1]) == 2
    html = response.content.decode()
    assert "?unit=DE&period=2025-01&grain=month" in html  # drill down to a market
    assert "Partnership A" in html


def test_dashboard_defaults_to_the_users_scope_and_latest_month(client, cast, rolled):
    d = login(client, cast["manager_de"]).get("/kpis/dashboard/").context["d"]
    assert d.scope.unit.code == "DE" and d.period == date(2025, 1, 1)
    d = login(client, cast["leader"]).get("/kpis/dashboard/?unit=JP").context["d"]
    assert d.scope.unit.code == "EMEA"  # out-of-scope choice falls back to the user's own scope


def test_dashboard_quarter_and_ytd_grains(client, cast, rolled):
    d = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-02&grain=quarter").context["d"]
    assert d.label == "Q1 2025" and next(r for r in d.rows if r.kpi.code == "REV").cell.actual == 190
    d = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01&grain=ytd").context["d"]
    assert d.has_data


def test_dashboard_is_not_for_partner_users(client, cast):
    assert login(client, cast["partner"]).get("/kpis/dashboard/").status_code == 404
    assert client.get("/kpis/").status_code == 302


def test_anonymous_users_are_sent_to_login(client, org):
    for url in ["/kpis/dashboard/", "/kpis/catalogue/", "/kpis/import/", "/kpis/kpi/REV/"]:
        assert client.get(url).status_code == 302


def _grow(org, functions, n):
    """More KPIs, markets and months: the dashboard must not issue more queries."""
    from kpis.services.measurements import measurements_record
    from tests.kpis.conftest import NOW

    admin = org_services.user_create(username=f"bulk{n}", password=None, role="admin")
    markets = [org_services.org_unit_create(code=f"M{n}{i}", name=f"Market {i}", level="market", parent=org["DACH"])
               for i in range(3)]
    codes = []
    for i in range(4):
        codes.append(kpi_create(code=f"K{n}{i}", name=f"K {i}", aggregation=["sum", "ratio", "average", "latest"][i],
                                owners=[(functions["SALES"], None, 1), (functions["MKT"], None, 1)]).code)
    rows = []
    for code in codes:
        for m in markets:
            for month in range(1, 4):
                row = {"kpi": code, "org_unit": m.code, "period": f"2025-{month:02d}"}
                row.update({"numerator": 1, "denominator": 3} if code.endswith("1") else {"value": month})
                rows.append(row)
    measurements_record(actor=admin, rows=rows, now=NOW)
    rollup_incremental()


def test_dashboard_query_count_is_constant_whatever_the_data_size(client, cast, rolled, org, functions,
                                                                  django_assert_max_num_queries):
    # 12: session, user, the data version (kpis.dashboard_page), assignments, the selector's seven (see
    # ``selectors.dashboard``: seven as the period is given, the heat-map's changes read with its cells),
    # the bell's unread count and the stuck decisions panel (12 before issue 22, 11 before the cache)
    login(client, cast["leader"])
    with django_assert_max_num_queries(12):
        assert client.get("/kpis/dashboard/?unit=DACH&period=2025-01").status_code == 200
    _grow(org, functions, 1)
    _grow(org, functions, 2)
    with django_assert_max_num_queries(12):
        response = client.get("/kpis/dashboard/?unit=DACH&period=2025-01")
    assert len(response.context["d"].scope.children) == 8 and len(response.context["d"].rows) >= 10


def test_kpi_detail_has_trend_series_and_children(client, cast, kpis, rolled, django_assert_max_num_queries):
    login(client, cast["leader"])
    with django_assert_max_num_queries(15):
        response = client.get("/kpis/kpi/REV/?unit=DACH&period=2025-01")
    assert response.status_code == 200
    chart = response.context["chart"]
    assert len(chart["labels"]) == 24 and chart["actual"][-1] == 190.0 and chart["target"][-1] == 200.0
    assert [(u.code, c.actual) for u, c in response.context["detail"].children] == [("AT", 40), ("DE", 150)]
    assert login(client, cast["partner"]).get("/kpis/kpi/REV/").status_code == 404


def test_import_page_shows_row_errors_and_imports_all_or_nothing(client, cast, kpis):
    login(client, cast["manager_de"])
    bad = io.BytesIO(b"kpi,org_unit,period,value\nREV,DE,2025-01,5\nREV,JP,2025-01,5\n")
    bad.name = "x.csv"
    response = client.post("/kpis/import/", {"file": bad})
    assert response.status_code == 400
    assert "Unknown org unit &#x27;JP&#x27;." in response.content.decode()
    assert not Measurement.objects.exists()
    good = io.BytesIO(b"kpi,org_unit,period,value\nREV,DE,2025-01,5\n")
    good.name = "x.csv"
    assert client.post("/kpis/import/", {"file": good}).status_code == 302
    assert Measurement.objects.get().value == 5


def test_csv_template_per_kpi_set(client, cast, kpis):
    response = login(client, cast["manager_de"]).get("/kpis/import/template.csv?category=adoption")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator"]
    assert sorted(r[0] for r in rows[1:]) == ["ACCTS", "DAYS", "NPS", "REV", "SHARE"]
    assert {r[1] for r in rows[1:]} == {"DE"}


def test_csv_export_escapes_formula_cells_and_is_scoped(client, cast, kpis, org):
    from kpis.services.measurements import measurements_record
    from tests.kpis.conftest import NOW

    risky = org_services.user_create(username="@risky", password=None, role="manager",
                                     assignments=[(cast["manager_de"].assignments.first().function, org["DE"], "")])
    measurements_record(actor=risky, rows=[{"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": -5}],
                        now=NOW)
    measurements_record(actor=cast["admin"], rows=[{"kpi": "REV", "org_unit": "JP", "period": "2025-01",
                                                    "value": 1}], now=NOW)
    response = login(client, cast["manager_de"]).get("/kpis/measurements/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    assert rows[1][:5] == ["REV", "DE", "", "2025-01", "-5.000000"] and rows[1][8] == "'@risky"
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_safe("+1") == "'+1" and csv_safe("ok") == "ok"


def test_partnership_kpis_tag_shows_latest_actual_target_and_rag(cast, kpis, rolled, partner_a, partner_b):
    template = Template("{% load kpis_tags %}{% partnership_kpis partnership user %}")
    html = template.render(Context({"partnership": partner_a, "user": cast["partner"]}))
    assert "Partnership A" in html and "Rev" in html and "rag-red" in html and "75%" in html
    assert "Jan 2025" in html
    other = template.render(Context({"partnership": partner_b, "user": cast["partner"]}))
    assert "No KPIs are co-owned" in other


def test_weighted_scorecard_caps_runaway_attainment_and_reports_the_worst():
    class C:
        def __init__(self, attainment, rag):
            self.attainment, self.rag = attainment, rag
            self.green_at, self.red_at = Decimal("1"), Decimal("0.9")

    card = weighted_scorecard("x", [(1, C(Decimal("5"), "green")), (1, C(Decimal("0.5"), "red")), (2, None)])
    assert card.score == (ATTAINMENT_CAP + Decimal("0.5")) / 2 and card.status == "green"
    assert card.worst == "red" and card.missing == 1 and card.kpis == 3


def test_partner_page_lists_their_partnerships_kpis(client, cast, rolled):
    response = login(client, cast["partner"]).get("/kpis/partnerships/")
    assert response.status_code == 200 and "Partnership A" in response.content.decode()
    assert "Partnership B" not in response.content.decode()
    assert selectors.partnership_kpi_cells(cast["partner"], cast["partner"].partnerships.get())[0][1].actual == 30


def test_partnership_kpi_cells_take_the_latest_month_at_the_highest_level_the_reader_sees(
        cast, kpis, rolled, partner_a, org, record):
    """One cell per co-owned KPI (PostgreSQL's DISTINCT ON, not a capped scan): the latest month
    first, then the highest org unit the reader can see — EMEA for the EMEA leader once the
    partnership spans DE and AT, the market for the DE manager — and the KPI without cells too."""
    partner_a.org_units.add(org["AT"])
    record(kpis["REV"], org["DE"], "2025-02", value=7, partnership=partner_a)
    record(kpis["REV"], org["AT"], "2025-02", value=5, partnership=partner_a)
    record(kpis["REV"], org["AT"], "2024-12", value=99, partnership=partner_a)
    KPIOwnership.objects.create(kpi=kpis["NPS"], partnership=partner_a, weight=1)
    rollup_incremental()

    def latest(user):
        return {k.code: (c.period.isoformat(), c.org_unit.code, float(c.actual)) if c else None
                for k, c in selectors.partnership_kpi_cells(user, partner_a)}

    assert latest(cast["leader"]) == {"REV": ("2025-02-01", "EMEA", 12.0), "NPS": None}
    assert latest(cast["manager_de"]) == {"REV": ("2025-02-01", "DE", 7.0), "NPS": None}


def test_partnership_page_shows_its_shared_kpis_to_the_partner_user(client, cast, kpis, rolled, partner_a):
    client.force_login(cast["partner"])
    html = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert "Rev" in html and "rag-red" in html and "75%" in html
    # The partner sees the whole partnership's figure, named for what it is, not "GLOBAL".
    assert "· all its markets" in html and "· GLOBAL" not in html


def _partnership(name, units, functions):
    from partners.models import Partner, Partnership

    partner = Partner.objects.create(name=f"{name} Ltd", kind="distributor")
    p = Partnership.objects.create(partner=partner, name=name, type="distribution", owner_function=functions["SALES"],
                                   start=date(2025, 1, 1))
    p.org_units.set(units)
    return p


@pytest.fixture
def crowd(org, kpis, functions, record, target, rolled, partner_a, partner_b):
    """Six more partnerships co-owning REV beside A (0.75): four in Germany with their own Jan 2025
    cells (attainment 0.25, 0.5, 0.95, 1.2), one in Austria and one placed at DACH (no cells);
    B (Japan) co-owns REV too and reports (0.125)."""
    made = {}
    for name, unit, value in (("DE red 25", "DE", 10), ("DE red 50", "DE", 20), ("DE amber 95", "DE", 38),
                              ("DE green 120", "DE", 48), ("AT partner", "AT", None), ("DACH-wide", "DACH", None)):
        p = made[name] = _partnership(name, [org[unit]], functions)
        KPIOwnership.objects.create(kpi=kpis["REV"], partnership=p, weight=1)
        if value is not None:
            record(kpis["REV"], org[unit], "2025-01", value=value, partnership=p)
            target(kpis["REV"], org[unit], "2025-01", 40, partnership=p)
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_b, weight=1)
    record(kpis["REV"], org["JP"], "2025-01", value=5, partnership=partner_b)
    target(kpis["REV"], org["JP"], "2025-01", 40, partnership=partner_b)
    rollup_incremental()
    return made


def test_tile_chips_name_the_worst_relevant_partnerships_only_and_count_the_rest(client, cast, crowd):
    response = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01")
    rev = next(t for t in response.context["d"].tiles if t.kpi.code == "REV")
    assert [f.code for f in rev.functions] == ["SALES", "MKT"]
    # Relevant to DACH: A, four German ones, the Austrian and the DACH-wide one (7); the worst three named.
    assert [(p.name, p.rag) for p in rev.partners] == [("DE red 25", "red"), ("DE red 50", "red"),
                                                       ("Partnership A", "red")]
    assert rev.more_partners == 4
    html = response.content.decode()
    assert "+4 more" in html
    assert "Partnership B" not in html and "a partner" not in html  # out of scope: neither named nor hinted at

    de = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DE&period=2025-01").context["d"]
    rev = next(t for t in de.tiles if t.kpi.code == "REV")
    # Germany: A (0.75, red), the four German ones and the DACH-wide one (no cell, last); not Austria.
    assert [p.name for p in rev.partners] == ["DE red 25", "DE red 50", "Partnership A"] and rev.more_partners == 3

    admin = login(client, cast["admin"]).get("/kpis/dashboard/?unit=GLOBAL&period=2025-01").context["d"]
    rev = next(t for t in admin.tiles if t.kpi.code == "REV")
    assert rev.partners[0].name == "Partnership B" and rev.more_partners == 5  # 8 co-owners world-wide


def test_partner_cards_are_the_weakest_few_with_a_count_and_match_the_weighted_scorecard(
        client, cast, kpis, crowd, partner_a, monkeypatch):
    from kpis.models import ScorecardCell

    # A co-owns SHARE as well (weight 3, no partnership cell: counted as missing).
    KPIOwnership.objects.create(kpi=kpis["SHARE"], partnership=partner_a, weight=3)
    monkeypatch.setattr(overview, "PARTNER_CARDS", 3)  # read by the dashboard screen's module
    d = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01").context["d"]
    assert d.partners.reporting == 5 and d.partners.more == 2  # A + four German ones report at DACH
    assert [c.owner.name for c in d.partner_cards] == ["DE red 25", "DE red 50", "Partnership A"]
    for card in d.partner_cards:
        p = card.owner
        cells = {c.kpi_id: c for c in ScorecardCell.objects.filter(org_unit__code="DACH", grain="month",
                                                                    period=date(2025, 1, 1), partnership_key=p.pk)}
        expected = weighted_scorecard(p, [(o.weight, cells.get(o.kpi_id)) for o in p.kpi_ownerships.all()])
        assert (card.score, card.status, card.worst, card.kpis, card.missing, card.counts) == (
            expected.score, expected.status, expected.worst, expected.kpis, expected.missing, expected.counts)
    a = d.partner_cards[2]
    assert a.kpis == 2 and a.missing == 1 and a.score == Decimal("0.75")
    html = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01").content.decode()
    assert "weakest 3 of 5" in html and "+2 more partnerships" in html


def test_dashboard_queries_and_rows_do_not_grow_with_partnerships(client, cast, org, kpis, functions, record, target,
                                                                  rolled, django_assert_num_queries):
    login(client, cast["leader"])
    with CaptureQueriesContext(connection) as before:
        client.get("/kpis/dashboard/?unit=DACH&period=2025-01")
    for i in range(12):
        p = _partnership(f"Bulk {i}", [org["DE"]], functions)
        for code in ("REV", "ACCTS"):
            KPIOwnership.objects.create(kpi=kpis[code], partnership=p, weight=1)
            record(kpis[code], org["DE"], "2025-01", value=i + 1, partnership=p)
    rollup_incremental()
    with django_assert_num_queries(len(before.captured_queries)):
        d = client.get("/kpis/dashboard/?unit=DACH&period=2025-01").context["d"]
    assert len(d.partner_cards) == selectors.PARTNER_CARDS and d.partners.reporting == 13
    assert all(len(t.partners) <= selectors.TILE_PARTNERS for t in d.tiles)
    assert next(t for t in d.tiles if t.kpi.code == "REV").more_partners == 13 - selectors.TILE_PARTNERS


def test_a_unit_with_too_many_partnerships_shows_their_count_instead_of_cards(client, cast, crowd, monkeypatch):
    monkeypatch.setattr(overview, "PARTNER_RANK_MAX", 6)
    response = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01")
    panel = response.context["d"].partners
    assert not panel.ranked and panel.working == 7 and panel.cards == []  # A, 4 German, Austrian, DACH-wide
    html = response.content.decode()
    assert "7 partnerships work in DACH" in html and "Drill down to a market" in html
    panel = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DE&period=2025-01").context["d"].partners
    assert panel.ranked and panel.working == 6 and panel.reporting == 5  # the DACH-wide one has no cells


# --- the scope picker: trail and children as links, and a scoped unit search ------------------


def test_dashboard_links_trail_and_children_and_searches_the_rest_instead_of_listing_every_unit(client, cast,
                                                                                              rolled):
    response = login(client, cast["admin"]).get("/kpis/dashboard/?unit=EMEA&period=2025-01")
    html = response.content.decode()
    assert "<select" not in html and "<option" not in html  # no list of every unit
    assert '<form class="unit-picker" role="search" method="get" action="/kpis/units/"' in html
    assert '<label class="form-label small mb-1" for="unit-q">Scope</label>' in html
    assert 'hx-get="/kpis/units/"' in html and 'placeholder="Find one of 8 units…"' in html
    assert '<input type="hidden" name="period" value="2025-01">' in html  # the search keeps month and grain
    assert '<a href="?unit=GLOBAL&period=2025-01&grain=month">Global</a>' in html  # the trail (breadcrumb)
    assert '<a href="?unit=DACH&amp;period=2025-01&amp;grain=month">DACH</a>' in html  # its children
    assert "APAC" not in html.split('class="unit-children')[1].split("</nav>")[0]  # not a child of EMEA
    assert '<input type="hidden" name="unit" value="EMEA">' in html  # the month/grain form keeps the unit


def test_kpi_page_has_the_same_picker_and_its_trail(client, cast, rolled):
    html = login(client, cast["leader"]).get("/kpis/kpi/REV/?unit=DE&period=2025-01").content.decode()
    assert "<select" not in html and '<input type="hidden" name="kpi" value="REV">' in html
    assert '<a href="?unit=EMEA&amp;period=2025-01">EMEA</a>' in html and "Global" not in html  # not in scope


def _search(client, user, query="", **params):
    from urllib.parse import urlencode

    login(client, user)
    return client.get("/kpis/units/?" + urlencode({"q": query, **params}), HTTP_HX_REQUEST="true")


def _found(response) -> list[str]:
    return [m.code for _, m in response.context["matches"]]


def test_unit_search_finds_units_in_the_users_scope_only(client, cast, org):
    # "a" is in Global, EMEA, APAC, DACH, Japan cluster, Germany, Austria, Japan; each sees only theirs.
    # Prefix matches first (APAC, AT), then by level and name.
    assert _found(_search(client, cast["admin"], "a")) == ["APAC", "AT", "GLOBAL", "EMEA", "DACH", "JAPAN", "DE", "JP"]
    assert _found(_search(client, cast["leader"], "a")) == ["AT", "EMEA", "DACH", "DE"]
    assert _found(_search(client, cast["manager_de"], "A")) == ["DE"]
    assert _found(_search(client, cast["manager_jp"], "a")) == ["JP"]
    for user, query in ((cast["leader"], "Japan"), (cast["leader"], "JP"), (cast["manager_de"], "AT"),
                        (cast["manager_jp"], "DE"), (cast["manager_de"], "Global")):
        response = _search(client, user, query)
        assert response.status_code == 200 and _found(response) == [] and response.context["total"] == 0
        assert "No unit in your scope matches" in response.content.decode()


def test_unit_search_ranks_exact_then_prefix_and_names_only_visible_parents(client, cast, org):
    response = _search(client, cast["admin"], "japan")
    assert _found(response) == ["JAPAN", "JP"]  # exact code, exact name (by level), before any partial match
    org_services.org_unit_create(code="DAC", name="Dachstein", level="market", parent=org["DACH"])
    assert _found(_search(client, cast["admin"], "dac")) == ["DAC", "DACH"]  # exact (a market) before prefix
    html = response.content.decode()
    assert "JP · market in Japan cluster" in html and "JAPAN · cluster in APAC" in html
    html = _search(client, cast["leader"], "emea").content.decode()
    assert "EMEA · region<" in html and "Global" not in html  # its parent is out of the leader's scope
    assert _found(_search(client, cast["admin"], "%")) == [] and _found(_search(client, cast["admin"], "_")) == []


def test_unit_search_links_keep_month_and_grain_or_lead_to_the_kpi_page(client, cast, kpis, org):
    response = _search(client, cast["leader"], "germany", period="2025-01", grain="quarter")
    assert [url for url, _ in response.context["matches"]] == ["/kpis/dashboard/?period=2025-01&grain=quarter&unit=DE"]
    response = _search(client, cast["leader"], "germany", period="2025-01", kpi="REV")
    assert [url for url, _ in response.context["matches"]] == ["/kpis/kpi/REV/?period=2025-01&unit=DE"]
    # Ill-formed values are dropped; an unknown KPI leads to the dashboard.
    response = _search(client, cast["leader"], "germany", period="x\"><script>", grain="weekly", kpi="NOPE")
    assert [url for url, _ in response.context["matches"]] == ["/kpis/dashboard/?unit=DE"]


def test_unit_search_fragment_for_htmx_and_a_page_without_javascript(client, cast, org, monkeypatch):
    from kpis import views

    monkeypatch.setattr(views, "UNIT_MATCHES", 3)
    fragment = _search(client, cast["admin"], "a").content.decode()
    assert "<html" not in fragment and fragment.count('class="unit-hit"') == 3
    assert "8 units match “a”" in fragment and "5 more" in fragment and "page=2" in fragment
    assert _search(client, cast["admin"], "").content.decode().strip() == ""  # nothing typed: nothing shown
    page = client.get("/kpis/units/?q=a&page=2&period=2025-01")  # no HX-Request: a full page
    html = page.content.decode()
    assert "<html" in html and 'name="q" value="a"' in html and html.count("list-group-item-action") == 3
    assert "4–6 of 8 units match" in html and "page=1" in html and "page=3" in html
    assert '<input type="hidden" name="period" value="2025-01">' in html
    assert _found(client.get("/kpis/units/?q=a&page=99")) == []
    assert client.get("/kpis/units/?q=a&page=x").status_code == 200


def test_unit_search_is_for_signed_in_internal_users(client, cast, org, django_assert_max_num_queries):
    response = client.get("/kpis/units/?q=de")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _search(client, cast["partner"], "de").status_code == 404  # like the pages it serves
    login(client, cast["leader"])
    client.get("/kpis/units/?q=d")
    with django_assert_max_num_queries(4):  # session, user, the leader's assignment units, the search
        assert client.get("/kpis/units/?q=d", HTTP_HX_REQUEST="true").status_code == 200


def test_heat_map_shows_every_kpi_as_a_row_with_the_same_figures(client, cast, kpis, rolled):
    response = login(client, cast["leader"]).get("/kpis/dashboard/?unit=DACH&period=2025-01")
    html, d = response.content.decode(), response.context["d"]
    assert html.count('<th class="kpi-name" scope="row">') == len(d.rows) == 3  # every KPI with data, no cap
    assert ('<td class="hm-amber total-col" title="Target 200 u · attainment 95% · 2/2 reported">190 u</td>'
            '<td class="hm-red" title="Target 100 u · attainment 40%">40 u</td>'
            '<td class="hm-green" title="Target 100 u · attainment 150%">150 u</td>') in html


def test_value_formatter_matches_the_kpi_value_filter():
    from types import SimpleNamespace

    from kpis.templatetags.kpis_tags import kpi_value, value_formatter

    values = [None, "", 0, Decimal("0.004"), Decimal("0.5"), 3, Decimal("99.95"), 150, 12_345, -54_321.5, 2.5e6, 7e9]
    for unit, aggregation in (("%", "ratio"), ("%", "average"), ("EUR", "sum"), ("JPY", "sum"), ("days", "average"),
                              ("", "sum"), (None, "latest"), ("<b>", "sum")):
        kpi = SimpleNamespace(unit=unit, aggregation=aggregation)
        assert [value_formatter(kpi)(v) for v in values] == [kpi_value(v, kpi) for v in values], unit


def test_a_user_who_sees_a_single_unit_gets_no_scope_search(client, cast, rolled):
    html = login(client, cast["manager_de"]).get("/kpis/dashboard/?period=2025-01").content.decode()
    assert "<h1" in html and "Germany" in html and 'id="f-period"' in html
    assert "unit-picker" not in html and "Find one of" not in html  # nothing else to find
