"""Demo KPIs: 40 shared and functional KPIs (launch, adoption, access, acceleration) with 24
months of market-level actuals and targets — trends chosen so some markets are green, some
amber, some red, and a few reports are missing — then a full rollup.

Idempotent: nothing is added once the demo KPIs exist. Fast: bulk inserts with history.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from governance.models import Function, OrgUnit, Role, User
from governance.periods import month_shift
from kpis.models import KPI, Kind, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.services.bulk import insert_with_history
from kpis.services.enablement import KPI_CODE, enablement_feed
from kpis.services.objectives import objective_save
from kpis.services.rollup import rollup_full, rollup_incremental
from kpis.values import kind_for
from partners.enablement.models import EnablementItem
from partners.models import Partnership

# code, name, unit, aggregation, direction, base (per market-month; a fraction for percent), owners
KPIS = {
    "launch": [
        ("LNC-REV", "New product revenue", "EUR", "sum", "higher", 180_000, ["SALES:2", "MKT", "FINANCE"]),
        ("LNC-TTM", "Days from approval to first sale", "days", "average", "lower", 95,
         ["REGULATORY", "ACCESS", "MKT"]),
        ("LNC-KOL", "KOL advocates engaged", "KOLs", "sum", "higher", 6, ["MEDICAL", "MKT"]),
        ("LNC-ACCT", "Launch accounts ordering", "accounts", "latest", "higher", 40, ["SALES"]),
        ("LNC-READY", "Launch readiness score", "%", "average", "higher", 0.85, ["MKT", "MEDICAL", "REGULATORY"]),
        ("LNC-SOV", "Share of voice", "%", "ratio", "higher", 0.32, ["MKT"]),
        ("LNC-CERT", "Field force certified", "%", "ratio", "higher", 0.9, ["SALES", "COMPLIANCE"]),
        ("LNC-EVENTS", "Launch events held", "events", "sum", "higher", 3, ["MKT"]),
        ("LNC-EVAL", "Evaluation units placed", "units", "sum", "higher", 25, ["SALES"]),
        ("LNC-PIPE", "Launch pipeline value", "EUR", "latest", "higher", 1_200_000, ["SALES"]),
    ],
    "adoption": [
        ("ADP-ACTIVE", "Active accounts", "accounts", "latest", "higher", 220, ["SALES", "MKT", "@"]),
        ("ADP-REORDER", "Repeat order rate", "%", "ratio", "higher", 0.68, ["SALES", "@"]),
        ("ADP-UTIL", "Installed-base utilisation", "%", "ratio", "higher", 0.74, ["MEDICAL", "SALES"]),
        ("ADP-NPS", "Customer NPS", "pts", "average", "higher", 42, ["MKT"]),
        ("ADP-PROCS", "Procedures performed", "procedures", "sum", "higher", 1_400, ["SALES", "MEDICAL", "@"]),
        ("ADP-TRAINED", "Clinicians trained", "clinicians", "sum", "higher", 30, ["MEDICAL"]),
        ("ADP-CHURN", "Account churn", "%", "ratio", "lower", 0.04, ["SALES"]),
        ("ADP-DIGI", "Digital platform users", "users", "latest", "higher", 600, ["MKT"]),
        ("ADP-TICKETS", "Service tickets per device", "tickets", "ratio", "lower", 0.12, ["MEDICAL"]),
        ("ADP-CONV", "Trial-to-purchase conversion", "%", "ratio", "higher", 0.35, ["SALES", "MKT"]),
    ],
    "access": [
        ("ACC-LISTED", "Formulary and tender listings", "listings", "latest", "higher", 55, ["ACCESS", "SALES"]),
        ("ACC-COVER", "Reimbursed lives covered", "%", "ratio", "higher", 0.62, ["ACCESS", "FINANCE"]),
        ("ACC-TENDER", "Tender win rate", "%", "ratio", "higher", 0.45, ["ACCESS", "SALES", "FINANCE"]),
        ("ACC-DAYS", "Days to reimbursement decision", "days", "average", "lower", 160, ["ACCESS", "REGULATORY"]),
        ("ACC-HTA", "HTA dossiers submitted", "dossiers", "sum", "higher", 2, ["ACCESS"]),
        ("ACC-PRICE", "Net price realisation", "%", "ratio", "higher", 0.88, ["FINANCE"]),
        ("ACC-GPO", "Active GPO and framework contracts", "contracts", "latest", "higher", 12, ["ACCESS"]),
        ("ACC-DSO", "Days sales outstanding", "days", "average", "lower", 62, ["FINANCE"]),
        ("ACC-REJECT", "Claim rejection rate", "%", "ratio", "lower", 0.07, ["ACCESS"]),
        ("ACC-PAYER", "Payer meetings held", "meetings", "sum", "higher", 9, ["ACCESS"]),
    ],
    "acceleration": [
        ("ACL-REV", "Revenue", "EUR", "sum", "higher", 950_000, ["SALES:2", "FINANCE", "@"]),
        ("ACL-SHARE", "Market share", "%", "ratio", "higher", 0.27, ["SALES", "MKT"]),
        ("ACL-CYCLE", "Decision cycle time", "days", "average", "lower", 21, ["SALES", "COMPLIANCE"]),
        ("ACL-DEALS", "Deals closed", "deals", "sum", "higher", 18, ["SALES"]),
        ("ACL-MARGIN", "Gross margin", "%", "ratio", "higher", 0.61, ["FINANCE"]),
        ("ACL-OTIF", "On-time in-full delivery", "%", "ratio", "higher", 0.93, ["SALES", "@"]),
        ("ACL-FCST", "Forecast accuracy", "%", "average", "higher", 0.88, ["FINANCE"]),
        ("ACL-XSELL", "Cross-sell attach rate", "%", "ratio", "higher", 0.22, ["SALES"]),
        ("ACL-COMPL", "Compliance actions closed on time", "%", "ratio", "higher", 0.95, ["COMPLIANCE", "MEDICAL"]),
        ("ACL-BACKLOG", "Order backlog", "EUR", "latest", "higher", 400_000, ["SALES"]),
    ],
}

OBJECTIVES = [
    ("WIN-LAUNCH", "Win the launch of the next-generation platform",
     "First-to-market in the top 15 markets, with every function launch-ready on day one.",
     ["LNC-REV", "LNC-TTM", "LNC-READY", "LNC-ACCT"]),
    ("ADOPTION", "Make every installed system productive",
     "Utilisation and repeat orders, not just placements.", ["ADP-UTIL", "ADP-PROCS", "ADP-ACTIVE", "ADP-REORDER"]),
    ("ACCESS", "Secure access where patients are",
     "Reimbursement and listings in the markets that matter, faster.", ["ACC-COVER", "ACC-LISTED", "ACC-DAYS"]),
    ("GROW", "Grow faster than the market, with partners",
     "Share gains through distributors and GPOs, at healthy margin.", ["ACL-REV", "ACL-SHARE", "ACL-OTIF",
                                                                         "ACL-MARGIN"]),
]
PARTNER_KPIS = {"ADP-ACTIVE", "ADP-REORDER", "ADP-PROCS", "ACL-REV", "ACL-OTIF"}
FUNCTION_BIAS = {"SALES": 0.01, "MKT": -0.05, "ACCESS": 0.05, "MEDICAL": 0.03, "FINANCE": -0.02,
                 "REGULATORY": -0.07, "COMPLIANCE": 0.06}  # by a KPI's first owner: functions differ
COUNTS = {"accounts", "KOLs", "events", "units", "procedures", "clinicians", "users", "listings", "dossiers",
          "contracts", "meetings", "deals"}
PARTNER_SHARE = 0.3  # of a market's volume that flows through a partnership
MONTHS = 24
D6 = Decimal("0.000001")


def _h(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def _dec(x: float) -> Decimal:
    return Decimal(repr(round(x, 6))).quantize(D6)


def _series(rng, *, kpi, agg, direction, base, size, months, perf, slope, share=1.0, target_share=None,
            whole=False):
    """Yield (month index, target, actual-or-None, numerator, denominator) for one market."""
    growth = 0.006 if agg in ("sum", "latest") else 0.0
    for t in range(months):
        volume = size * share * (1 + growth * t) * (1 + 0.08 * ((t % 12) in (2, 5, 8, 11)))
        attain = max(0.55, perf + slope * t + rng.gauss(0, 0.035))
        if agg == "ratio":
            den = max(1, round(volume * 200))
            goal = base
            ratio = goal * attain if direction == "higher" else goal / attain
            ratio = min(ratio, 0.999)
            yield t, goal, None, round(den * ratio), den
        elif agg == "average":
            goal = base
            yield t, goal, goal * attain if direction == "higher" else goal / attain, None, None
        else:
            goal = base * volume
            actual = goal * attain if direction == "higher" else goal / attain
            if target_share is not None:  # the unit's target covers volume it does not report itself
                goal = goal / share * target_share
            if whole:
                goal, actual = max(1.0, round(goal)), float(round(actual))
            yield t, goal, actual, None, None


@transaction.atomic
def seed() -> dict:
    """Create the demo KPIs, objectives, 24 months of actuals and targets, then roll up."""
    if KPI.objects.filter(code="ACL-REV").exists():
        return {"kpis": KPI.objects.count(), "measurements": Measurement.objects.count(),
                "scorecard_cells": ScorecardCell.objects.count(), "cascade": seed_cascade(),
                "enablement_items": seed_enablement()}
    rng = random.Random(20240)
    functions = {f.code: f for f in Function.objects.all()}
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    admin_id = admin.pk if admin else None
    partnerships = list(Partnership.objects.filter(type="distribution").prefetch_related("org_units")
                        .order_by("name"))
    home = [p for p in partnerships if "Germany" in p.name]
    partnerships = (home + [p for p in partnerships if p not in home])[:6]

    kpis: dict[str, KPI] = {}
    ownerships = []
    for category, rows in KPIS.items():
        for code, name, unit, agg, direction, _base, _owners in rows:
            kind = Kind.COUNT if unit in COUNTS else Kind.SCORE if unit == "pts" else kind_for(unit)
            kpi = KPI(code=code, name=name, unit=unit, aggregation=agg, direction=direction, category=category,
                      kind=kind, min_value=Decimal(-100) if kind == Kind.SCORE else Decimal(0) if kind == Kind.CURRENCY
                      else None, max_value=Decimal(100) if kind == Kind.SCORE else None,
                      description=f"{name} ({unit}), {agg}; {'lower' if direction == 'lower' else 'higher'} is better.")
            kpis[code] = kpi
    bulk_create_with_history(list(kpis.values()), KPI, default_user=admin)
    kpis = {k.code: k for k in KPI.objects.filter(code__in=list(kpis))}
    for rows in KPIS.values():
        for code, *_rest, owners in rows:
            for owner in owners:
                if owner == "@":
                    ownerships += [KPIOwnership(kpi=kpis[code], partnership=p, weight=1) for p in partnerships[:3]]
                    continue
                fcode, _, weight = owner.partition(":")
                if fcode in functions:
                    ownerships.append(KPIOwnership(kpi=kpis[code], function=functions[fcode], weight=weight or 1))
    bulk_create_with_history(ownerships, KPIOwnership, default_user=admin)
    for i, (code, title, description, codes) in enumerate(OBJECTIVES):
        objective = StrategicObjective.objects.create(code=code, title=title, description=description, order=i,
                                                      org_unit=OrgUnit.objects.filter(code="GLOBAL").first())
        objective.kpis.set([kpis[c] for c in codes])

    markets = list(OrgUnit.objects.filter(level="market").order_by("code"))
    closure_markets = {}
    for p in partnerships:
        ids = [u.pk for u in p.org_units.all()]
        closure_markets[p.pk] = [m for m in OrgUnit.objects.filter(level="market", ancestor_links__ancestor__in=ids)]
    today = timezone.now().date().replace(day=1)
    first = month_shift(today, -MONTHS)
    now = timezone.now()
    measurements, targets = [], []
    spec = {code: (agg, direction, base, unit, owners[0].partition(":")[0])
            for rows in KPIS.values() for code, _n, unit, agg, direction, base, owners in rows}

    def emit(kpi_code, unit, partnership, size, perf, slope, share, target_share=None):
        agg, direction, base, unit_label, _first_owner = spec[kpi_code]
        kpi = kpis[kpi_code]
        pkey = partnership.pk if partnership else 0
        stale = _h(kpi_code, unit.code, pkey) % 47 == 0  # a few series stop reporting
        for t, goal, actual, num, den in _series(rng, kpi=kpi_code, agg=agg, direction=direction, base=base,
                                                 size=size, months=MONTHS, perf=perf, slope=slope, share=share,
                                                 target_share=target_share, whole=unit_label in COUNTS):
            period = month_shift(first, t)
            targets.append((kpi.pk, unit.pk, partnership.pk if partnership else None, pkey, period, _dec(goal),
                            Decimal("1.000"), Decimal("0.900")))
            if stale and t >= MONTHS - 2:
                continue
            if unit_label == "%" and actual is not None:
                actual = min(actual, 1.0)
            measurements.append((
                kpi.pk, unit.pk, partnership.pk if partnership else None, pkey, period,
                _dec(num / den) if agg == "ratio" else _dec(actual),
                Decimal(num) if agg == "ratio" else None, Decimal(den) if agg == "ratio" else None,
                "demo", admin_id, _entered_at(kpi_code, unit.code, pkey, period, now)))

    partnered_markets = {m.pk for p in partnerships[:3] for m in closure_markets[p.pk]}
    for market in markets:
        size = 0.4 + (_h(market.code) % 100) / 40  # 0.4 … 2.9
        market_perf = 0.86 + (_h("perf", market.code) % 100) / 450  # 0.86 … 1.08
        market_slope = ((_h("slope", market.code) % 100) - 45) / 10_000
        for code in kpis:
            perf = (market_perf + FUNCTION_BIAS.get(spec[code][4], 0) + ((_h(code) % 100) - 50) / 700
                    + ((_h(code, market.code) % 100) - 50) / 900)
            partnered = code in PARTNER_KPIS and market.pk in partnered_markets
            emit(code, market, None, size, perf, market_slope, 1 - PARTNER_SHARE if partnered else 1.0,
                 target_share=1.0 if partnered else None)
    for p in partnerships[:3]:
        p_perf = 0.9 + (_h("p", p.pk) % 100) / 600
        for market in closure_markets[p.pk]:
            size = 0.4 + (_h(market.code) % 100) / 40
            for code in PARTNER_KPIS:
                emit(code, market, p, size, p_perf, 0.002, PARTNER_SHARE)
    # Seed rows go in set-based with their creation history (see kpis.services.bulk).
    insert_with_history(Measurement, ["kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period", "value",
                                      "numerator", "denominator", "source", "entered_by_id", "entered_at"],
                        measurements, user_id=admin_id, now=now)
    insert_with_history(Target, ["kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period", "value",
                                 "green_at", "red_at"], targets, user_id=admin_id, now=now)
    result = rollup_full()
    seed_cascade()
    return {"kpis": len(kpis), "objectives": len(OBJECTIVES), "measurements": len(measurements),
            "targets": len(targets), "scorecard_cells": result.cells_written, "enablement_items": seed_enablement()}


def _entered_at(kpi_code: str, unit_code: str, pkey: int, period: date, now: datetime) -> datetime:
    """When a demo actual was entered: in the first days of the month after its period, as teams
    report (day 2 to 8, 08:00 to 15:00 UTC, so that a "by working day 5" commitment is mostly kept
    and sometimes missed), never later than ``now``. With the seeding moment instead, every month's
    submission commitment showed as breached ("due 6 Nov, done 7 Dec")."""
    h = _h("entered", kpi_code, unit_code, pkey, period.isoformat())
    day = month_shift(period, 1) + timedelta(days=1 + h % 7)
    return min(now, datetime.combine(day, time(8 + h % 8), tzinfo=UTC))


# The objectives cascade (issue 19): the global growth objective refined for EMEA, DACH, Germany
# and the German distribution partnership (partners.demo's PARTNER_HOME), plus an EMEA access
# objective nobody measures yet (a gap on the alignment page).
# (code, parent, title, place: org unit code or "@" for CASCADE_PARTNERSHIP, KPIs)
CASCADE_PARTNERSHIP = "MedLogistik Germany distribution"
CASCADE = [
    ("GROW-EMEA", "GROW", "Grow EMEA distributor revenue 8% above market", "EMEA", ["ACL-REV", "ACL-SHARE"]),
    ("GROW-DACH", "GROW-EMEA", "Win share in DACH through distributors", "DACH", ["ACL-REV", "ACL-OTIF"]),
    ("GROW-DE", "GROW-DACH", "Germany: distributor revenue at healthy margin", "DE", ["ACL-REV", "ACL-MARGIN"]),
    ("GROW-DE-MEDLOG", "GROW-DE", "MedLogistik: reliable supply and repeat orders", "@", ["ACL-OTIF", "ADP-REORDER"]),
    ("ACCESS-EMEA", "ACCESS", "Listings in the Nordics within a year", "EMEA", []),
]


def seed_cascade() -> int:
    """Place the global objectives at GLOBAL and add the demo cascade below them (idempotent)."""
    glob = OrgUnit.objects.filter(code="GLOBAL").first()
    if glob is not None:
        StrategicObjective.objects.filter(parent__isnull=True, org_unit__isnull=True,
                                          partnership__isnull=True).update(org_unit=glob)
    home = Partnership.objects.filter(name=CASCADE_PARTNERSHIP).first()
    made = 0
    with transaction.atomic():
        for i, (code, parent_code, title, place, kpi_codes) in enumerate(CASCADE):
            parent = StrategicObjective.objects.filter(code=parent_code).first()
            unit = OrgUnit.objects.filter(code=place).first() if place != "@" else None
            if StrategicObjective.objects.filter(code=code).exists() or parent is None:
                continue
            if (place == "@" and home is None) or (place != "@" and unit is None):
                continue
            objective_save(code=code, title=title, parent=parent, order=i,
                           org_unit=unit, partnership=home if place == "@" else None,
                           kpis=list(KPI.objects.filter(code__in=kpi_codes)))
            made += 1
    return made


# Partner enablement (issue 19): the German distribution partnership's plan over the last four
# months and the next two — most done in time, one late, one open past its date — and the ENABLEMENT
# KPI its completion feeds (the daily job's figures for the closed months, written here at once).
# (months from this month, day, kind, title, owner: "partner" or "manager", done: days after the due date or None)
ENABLEMENT_PLAN = [
    (-4, 10, "onboarding", "Portal access and data-sharing agreement signed", "partner", -3),
    (-4, 24, "training", "Product training: next-generation platform", "partner", 0),
    (-3, 15, "certification", "Cold-chain handling certification", "partner", 6),
    (-3, 26, "training", "Reimbursement dossier workshop", "manager", -1),
    (-2, 12, "certification", "Service engineer certification (two engineers)", "partner", -2),
    (-2, 25, "training", "Forecast submission in Accord", "partner", None),
    (-1, 13, "onboarding", "Joint account plan for the top 20 hospitals", "manager", 2),
    (-1, 26, "training", "Complaint handling and vigilance reporting", "partner", -5),
    (0, 20, "certification", "Recertification: quality management", "partner", None),
    (1, 15, "training", "Launch readiness: sales playbook", "manager", None),
]


def seed_enablement() -> int:
    """The demo partnership's enablement items, the ENABLEMENT KPI with a 90 % target, and its
    actuals for the closed months (idempotent: nothing is added once the KPI exists)."""
    home = Partnership.objects.filter(name=CASCADE_PARTNERSHIP).prefetch_related("org_units").first()
    owners = {"partner": User.objects.filter(username="partner.demo").first(),
              "manager": User.objects.filter(username="manager.de").first()}
    if KPI.objects.filter(code=KPI_CODE).exists() or home is None or None in owners.values():
        return 0
    market = next((u for u in home.org_units.all() if u.level == "market"), None)
    if market is None:
        return 0
    this_month = timezone.localdate().replace(day=1)
    zone = timezone.get_current_timezone()
    with transaction.atomic():
        kpi = KPI.objects.create(code=KPI_CODE, name="Partner enablement on time", unit="%", aggregation="ratio",
                                 direction="higher", category="acceleration", kind=kind_for("%"),
                                 description="Share of the partnership's training, certification and onboarding "
                                             "steps due in the month that were done by their due date.")
        KPIOwnership.objects.create(kpi=kpi, partnership=home, weight=1)
        for months, day, kind, title, who, done_after in ENABLEMENT_PLAN:
            due = month_shift(this_month, months).replace(day=day)
            done_at = (None if done_after is None or due + timedelta(days=done_after) > timezone.localdate()
                       else datetime.combine(due + timedelta(days=done_after), time(16), tzinfo=zone))
            EnablementItem.objects.create(partnership=home, kind=kind, title=title, owner=owners[who],
                                          due_date=due, done_at=done_at)
        for months in range(-4, 1):
            Target.objects.create(kpi=kpi, org_unit=market, partnership=home, partnership_key=home.pk,
                                  period=month_shift(this_month, months), value=Decimal("0.9"))
    for months in range(-4, 0):
        enablement_feed(month_shift(this_month, months))
    rollup_incremental()
    return len(ENABLEMENT_PLAN)
