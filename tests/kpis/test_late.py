"""Late reporters (issue 15): per unit and partnership, the reports with a target and no actual for a
closed month, and a reminder to their owners exactly once per period."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from governance.models import Notification
from kpis.services.late import late_reports, remind_late_reporters

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 4, 10, 6, 0, tzinfo=UTC)  # March 2025 is the last closed month


@pytest.fixture
def march(org, kpis, target, record, partner_a):
    target(kpis["REV"], org["DE"], "2025-03", 100)
    target(kpis["ACCTS"], org["DE"], "2025-03", 10)
    record(kpis["REV"], org["DE"], "2025-03", value=90)  # ACCTS is missing
    target(kpis["REV"], org["DE"], "2025-03", 40, partnership=partner_a)  # the partnership's row is missing
    target(kpis["REV"], org["AT"], "2025-03", 50)
    record(kpis["REV"], org["AT"], "2025-03", value=55)  # Austria is complete


def test_late_reports_per_unit_and_partnership(march, org, partner_a):
    late = [(r.org_unit.code, r.partnership_id, r.kpi_codes) for r in late_reports(date(2025, 3, 1))]
    assert late == [("DE", None, ["ACCTS"]), ("DE", partner_a.pk, ["REV"])]
    assert late_reports(date(2025, 3, 1), units=[org["AT"].pk]) == []


def test_owners_are_reminded_once_per_period(march, cast, partner_a):
    assert remind_late_reporters(now=NOW) == 2
    assert remind_late_reporters(now=NOW) == 0  # the daily job ran again: nobody is reminded twice
    sent = {(n.recipient.username, n.title) for n in Notification.objects.filter(kind="kpi_late")}
    assert sent == {("max.de", "1 KPI report missing for DE · March 2025"),
                    ("pat.partner", "1 KPI report missing for DE · March 2025")}
    url = Notification.objects.filter(kind="kpi_late").first().url
    assert url == "/kpis/entry/?unit=DE&period=2025-03"


def test_the_late_list_page(client, cast, march, partner_a):
    client.force_login(cast["leader"])
    html = client.get("/kpis/late/?unit=DACH&period=2025-03").content.decode()
    assert "ACCTS" in html and "Late reporters" in html
    client.force_login(cast["partner"])
    rows = client.get("/kpis/late/?period=2025-03").context["rows"]
    assert [(r.org_unit.code, r.partnership_id) for r in rows] == [("DE", partner_a.pk)]
