"""The demo's enablement plan feeds the ENABLEMENT KPI: each closed month's actual is the share of
that month's items done by their due date, as the plan says; seeding again adds nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.periods import month_shift
from kpis import demo
from kpis.models import Measurement, ScorecardCell
from partners.enablement.models import EnablementItem

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # seeds the demo's units, partnerships and KPIs


def test_the_demo_plan_gives_each_closed_month_its_on_time_share():
    from governance import demo as governance_demo
    from partners import demo as partners_demo

    governance_demo.seed()
    partners_demo.seed()
    assert demo.seed()["enablement_items"] == len(demo.ENABLEMENT_PLAN)
    this_month = timezone.localdate().replace(day=1)
    expected = {}
    for months, day, *_rest, done_after in demo.ENABLEMENT_PLAN:
        if -4 <= months < 0:
            due = month_shift(this_month, months).replace(day=day)
            on_time = (done_after is not None and done_after <= 0
                       and due + timedelta(days=done_after) <= timezone.localdate())
            n, d = expected.get(month_shift(this_month, months), (0, 0))
            expected[month_shift(this_month, months)] = (n + on_time, d + 1)
    actuals = {m.period: (int(m.numerator), int(m.denominator))
               for m in Measurement.objects.filter(kpi__code="ENABLEMENT", partnership__isnull=False)}
    assert actuals == expected and len(actuals) == 4
    assert ScorecardCell.objects.filter(kpi__code="ENABLEMENT", org_unit__code="GLOBAL", grain="month").exists()
    assert demo.seed()["enablement_items"] == 0 and EnablementItem.objects.count() == len(demo.ENABLEMENT_PLAN)
