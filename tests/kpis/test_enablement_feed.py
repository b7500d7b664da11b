"""The ENABLEMENT KPI fed from partner enablement items (issue 19): the share of a month's items done
by their due date, per partnership, written as measurements; running again changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from kpis.models import Measurement
from kpis.services.definitions import kpi_create
from kpis.services.enablement import enablement_feed
from partners.enablement.services import enablement_create

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
NOW = datetime.fromisoformat("2026-04-10T09:00:00+00:00")


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


@pytest.fixture
def items(cast, partner_a, partner_b):
    from partners.enablement.models import EnablementItem

    admin = cast["admin"]

    def add(partnership, title, due, done=None):
        item = enablement_create(actor=admin, partnership=partnership, kind="training", title=title,
                                 owner=admin, due_date=due)
        EnablementItem.objects.filter(pk=item.pk).update(done_at=done)
        return item

    # A, March: on time, on the due day, late, open → 2 of 4. An April item is not March's.
    add(partner_a, "early", date(2026, 3, 10), at("2026-03-05"))
    add(partner_a, "on the day", date(2026, 3, 20), at("2026-03-20"))
    add(partner_a, "late", date(2026, 3, 20), at("2026-03-25"))
    add(partner_a, "open", date(2026, 3, 31))
    add(partner_a, "april", date(2026, 4, 2), at("2026-03-01"))
    # B, March: 1 of 1.
    add(partner_b, "done", date(2026, 3, 3), at("2026-03-02"))


def ratio_kpi():
    return kpi_create(code="ENABLEMENT", name="Enablement on time", unit="%", kind="percent", aggregation="ratio",
                      direction="higher", category="adoption")


def figures():
    return {(m.partnership.name, m.org_unit.code): (m.numerator, m.denominator, m.value)
            for m in Measurement.objects.filter(kpi__code="ENABLEMENT", period=MARCH).select_related(
                "partnership", "org_unit")}


def test_march_shares_per_partnership_and_a_second_run_changes_nothing(items):
    ratio_kpi()
    assert enablement_feed(MARCH, now=NOW) == 2
    assert figures() == {("Partnership A", "DE"): (Decimal(2), Decimal(4), Decimal("0.5")),
                         ("Partnership B", "JP"): (Decimal(1), Decimal(1), Decimal(1))}
    before = Measurement.history.count()
    enablement_feed(MARCH, now=NOW)
    assert figures()[("Partnership A", "DE")][2] == Decimal("0.5")
    assert Measurement.objects.filter(kpi__code="ENABLEMENT").count() == 2
    assert Measurement.history.count() - before <= 2  # at most a rewrite of the same figures


def test_a_non_ratio_percent_kpi_gets_the_fraction(items):
    kpi_create(code="ENABLEMENT", name="Enablement on time", unit="%", kind="percent", aggregation="average",
               direction="higher", category="adoption")
    enablement_feed(MARCH, now=NOW)
    assert figures()[("Partnership A", "DE")][2] == Decimal("0.5")


def test_without_the_kpi_nothing_is_written(items):
    assert enablement_feed(MARCH, now=NOW) == 0
    assert not Measurement.objects.exists()


def test_the_task_runs_the_feed(items):
    from kpis.tasks import feed_enablement

    ratio_kpi()
    assert feed_enablement.run("2026-03") == 2
