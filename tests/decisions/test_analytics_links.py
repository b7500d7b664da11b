"""Issue 16, "analytics figures click through to the decisions behind them": every count on the
latency page links to the decision list filtered to the same scope, window and selection, and
that list holds exactly as many decisions as the figure says — for the reader's own scope."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from decisions import services
from tests.decisions.conftest import T0
from tests.decisions.test_analytics import known, varied  # noqa: F401

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
FIGURE = re.compile(r'<a[^>]*href="([^"]+)"[^>]*data-figure="(\w+)"[^>]*>(.*?)</a>', re.S)


@pytest.fixture
def austria(varied, holders, price_exception, org):  # noqa: F811
    """``varied`` (Germany: 4 decided, one late; one open and overdue; one withdrawn) plus an open
    decision in Austria, overdue at the time the test looks."""
    services.decision_log(actor=holders["sales_at"], decision_type=price_exception, org_unit=org["AT"],
                          title="Austrian rebate", now=T0 + 50 * H)
    return varied


def _figures(html: str) -> list[tuple[str, str, str]]:
    """Each linked figure: its link, what it counts and the text shown."""
    return [(unescape(m.group(1)), m.group(2), re.sub(r"<[^>]+>", "", m.group(3)).strip())
            for m in FIGURE.finditer(html)]


def _listed(client, href: str) -> int:
    page = client.get(href)
    assert page.status_code == 200
    return page.context["page"].paginator.count


@pytest.mark.parametrize("group_by", ["decision_type", "org_unit", "function"])
def test_each_figure_links_to_as_many_decisions_as_it_says(client, holders, austria, monkeypatch, group_by):
    monkeypatch.setattr("django.utils.timezone.now", lambda: T0 + 100 * H)
    client.force_login(holders["leader"])
    html = client.get(f"/decisions/analytics/?period=365&org_unit=DACH&group_by={group_by}").content.decode()
    figures = _figures(html)
    assert {kind for _h, kind, _t in figures} >= {"decided", "open", "overdue", "within_sla", "breached"}
    checked = 0
    for href, kind, text in figures:
        count = _listed(client, href)
        if kind in ("decided", "open", "overdue"):
            assert count == int(text.split()[0]), (kind, text, href)
            checked += 1
    # the table's rows: Germany and Austria by org unit; a single type or deciding function otherwise
    rows = {m.group(1) for m in re.finditer(r'<tr data-code="([^"]+)"', html)}
    assert rows == ({"DE", "AT"} if group_by == "org_unit" else {"PRICE_EXC"} if group_by == "decision_type"
                    else {"SALES"})
    assert checked >= 3 + 3 * len(rows)


def test_the_within_sla_figure_and_decided_late_count_the_decided_ones(client, holders, austria, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: T0 + 100 * H)
    client.force_login(holders["leader"])
    html = client.get("/decisions/analytics/?period=365&group_by=org_unit").content.decode()
    germany = html[html.index('data-code="DE"'):]
    germany = germany[:germany.index("</tr>")]
    sla = next((h, t) for h, k, t in _figures(germany) if k == "within_sla")
    decided = next((h, t) for h, k, t in _figures(germany) if k == "decided")
    within, total = _listed(client, sla[0]), int(decided[1])
    assert (total, sla[1]) == (4, "75.0%") and within == 3  # 3 of the 4 decided in Germany within the SLA
    late = next(h for h, k, _t in _figures(html) if k == "breached")
    page = client.get(late)
    assert [d.title for d in page.context["page"].object_list] == ["Price exception for MedDistrib tender"]
    assert "From the latency analytics" in page.content.decode() and "Decided after the SLA" in page.content.decode()


def test_a_link_shows_only_what_its_reader_may_see(client, holders, austria, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: T0 + 100 * H)
    client.force_login(holders["leader"])
    html = client.get("/decisions/analytics/?period=365&group_by=org_unit").content.decode()
    open_de = next(h for h, k, _t in _figures(html[html.index('data-code="DE"'):]) if k == "open")
    assert _listed(client, open_de) == 1
    client.force_login(holders["sales_at"])  # Austria only: the Germany link lists no German decision to them
    listed = client.get(open_de).context["page"].object_list
    assert [d.org_unit.code for d in listed] == ["AT"]
    client.force_login(holders["partner"])  # the SLA filter is not theirs: ignored, not answered
    assert "sla" not in client.get("/decisions/list/?sla=breached").context["form"].fields
    assert client.get("/decisions/list/?at_unit=NOPE").status_code == 200  # an unknown code: no filter, no 500
