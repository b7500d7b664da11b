"""Partner enablement as a KPI (issue 19): for each partnership with enablement items due in a month,
the share of them done by their due date, written as that month's actual of the KPI ``ENABLEMENT``
through ``measurements_record`` (a ratio KPI gets numerator and denominator, any other the fraction).

The figure goes to the partnership at its first market (its first unit, by level then id, when it
works in no market). Rewriting a month writes the same figures again — a correction only when an
item changed — and two runs at once take turns on an advisory lock, so the job is safe to repeat.
Entered by the first active admin (there is no system user); nothing is written without one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from governance.models import LEVEL_DEPTH, OrgLevel, User
from governance.periods import month_shift
from kpis.models import KPI
from kpis.services.measurements import measurements_record
from partners.enablement.models import EnablementItem
from partners.models import Partnership

log = logging.getLogger(__name__)

KPI_CODE = "ENABLEMENT"
FEED_LOCK_KEY = 7_204_019


def _home_units(partnership_ids: list[int]) -> dict[int, str]:
    """Each partnership's unit for its figure: its first market, else its first unit (level, id)."""
    best: dict[int, tuple[tuple[int, int], str]] = {}
    for pid, unit_id, code, level in (Partnership.org_units.through.objects.filter(partnership_id__in=partnership_ids)
                                      .values_list("partnership_id", "orgunit_id", "orgunit__code", "orgunit__level")):
        key = (0 if level == OrgLevel.MARKET else 1 + LEVEL_DEPTH[OrgLevel(level)], unit_id)
        if pid not in best or key < best[pid][0]:
            best[pid] = (key, code)
    return {pid: code for pid, (_, code) in best.items()}


def enablement_shares(month: date) -> dict[int, tuple[int, int]]:
    """Per active partnership with items due in ``month``: (done by the due date, due), where done
    by the due date means ``done_at`` falls on or before it in the site's time zone. Archived items
    are no longer part of the plan and do not count."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, due, done_at in (EnablementItem.objects
                              .filter(due_date__gte=month, due_date__lt=month_shift(month, 1),
                                      partnership__archived_at__isnull=True, archived_at__isnull=True)
                              .values_list("partnership_id", "due_date", "done_at")):
        out[pid][1] += 1
        if done_at is not None and timezone.localdate(done_at) <= due:
            out[pid][0] += 1
    return {pid: (on_time, due) for pid, (on_time, due) in out.items()}


def enablement_feed(month: date, *, now: datetime | None = None) -> int:
    """Write ``month``'s ENABLEMENT actuals; the number of rows written (0 without the KPI or an admin)."""
    now = now or timezone.now()
    kpi = KPI.objects.filter(code=KPI_CODE).first()
    actor = User.objects.admins().order_by("pk").first()
    if kpi is None or actor is None:
        log.warning("Enablement feed skipped: %s", "no KPI with code ENABLEMENT" if kpi is None else "no active admin")
        return 0
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])
        shares = enablement_shares(month)
        units = _home_units(list(shares))
        rows = []
        for pid, (on_time, due) in sorted(shares.items()):
            if pid not in units:
                continue
            row = {"kpi": KPI_CODE, "org_unit": units[pid], "partnership": pid, "period": f"{month:%Y-%m}"}
            if kpi.is_ratio:
                row.update(numerator=str(on_time), denominator=str(due))
            else:
                row["value"] = str((Decimal(on_time) / Decimal(due)).quantize(Decimal("0.0001")))
            rows.append(row)
        if not rows:
            return 0
        # Computed, not typed: no plausibility question to confirm.
        return len(measurements_record(actor=actor, rows=rows, source="enablement", now=now, confirm=True).measurements)
