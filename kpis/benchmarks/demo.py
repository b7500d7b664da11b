"""Demo peers: the kpis demo gives actuals to three distribution partnerships, too few for a
benchmark (the minimum cohort is 5). This gives every other distribution partnership the same
partner KPIs for its markets — the first partnership's series, scaled by a steady factor of its own
— and rolls up, so the demo partner sees where it stands. Idempotent: only partnerships with no
actuals yet get them."""

from __future__ import annotations

import zlib
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.models import OrgUnit, User
from kpis.models import KPI, Measurement
from kpis.services.bulk import insert_with_history
from kpis.services.rollup import rollup_full
from partners.benchmarks.models import PeerCohort
from partners.models import Partnership

PEER_KPIS = ["ADP-ACTIVE", "ADP-REORDER", "ADP-PROCS", "ACL-REV", "ACL-OTIF"]
COLUMNS = ["kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period", "value", "numerator",
           "denominator", "source", "entered_by_id", "entered_at"]


@transaction.atomic
def seed() -> dict:
    kpis = {k.pk: k for k in KPI.objects.filter(code__in=PEER_KPIS)}
    distribution = list(Partnership.objects.filter(type="distribution").order_by("pk"))
    reporting = set(Measurement.objects.filter(partnership__in=distribution).values_list("partnership_id", flat=True))
    if not kpis or not reporting:
        return {}
    model = next(p for p in distribution if p.pk in reporting)
    source = list(Measurement.objects.filter(partnership=model, kpi__in=kpis).values_list(
        "kpi_id", "period", "value", "numerator", "denominator"))
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    now = timezone.now()
    rows = []
    for p in distribution:
        if p.pk in reporting:
            continue
        market = OrgUnit.objects.filter(level="market", ancestor_links__ancestor__in=p.org_units.all()).order_by(
            "code").first()
        if market is None:
            continue
        factor = Decimal(60 + zlib.crc32(p.name.encode()) % 80) / 100  # 0.60 … 1.39, steady per partnership
        for kpi_id, period, value, num, den in source:
            kpi = kpis[kpi_id]
            if num is not None and den:  # a ratio: scale the numerator, never above the denominator
                num = min((num * factor).quantize(Decimal(1)), den)
                scaled = num / den
            else:
                scaled = value * factor
                if kpi.kind == "percent":
                    scaled = min(scaled, Decimal(1))
                elif kpi.kind == "count":
                    scaled = scaled.quantize(Decimal(1))
            rows.append((kpi_id, market.pk, p.pk, p.pk, period, scaled.quantize(Decimal("0.000001")), num, den,
                         "demo", admin.pk if admin else None, now))
    rows = list({r[:5]: r for r in rows}.values())  # one row per key
    insert_with_history(Measurement, COLUMNS, rows, user_id=admin.pk if admin else None, now=now)
    if rows:
        rollup_full()
    return {"peer_measurements": len(rows), "benchmark_cohorts": PeerCohort.objects.count()}
