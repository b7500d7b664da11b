"""A plain-Python reference of the rollup's definitions (kpis/services/rollup.py docstring),
written the obvious way — recursion over the tree, loops over months — to check the SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

LEVELS = ("market", "cluster", "region", "global")


def _div(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def _sum(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) if xs else None


def _r3(x):
    """Thresholds are kept to 3 decimals (as the cell columns are), rounded half up."""
    return Decimal(x).quantize(Decimal("0.001"), ROUND_HALF_UP)


def _finish(agg, direction, actual, n, d, target, green, red, reporting, expected):
    green, red = _r3(green), _r3(red)
    att = _div(target, actual) if direction == "lower" else _div(actual, target)
    if att is None:
        rag = "none"
    elif att >= green:
        rag = "green"
    elif att < red:
        rag = "red"
    else:
        rag = "amber"
    return {"actual": actual, "numerator": n, "denominator": d, "target": target, "green_at": green,
            "red_at": red, "attainment": att, "rag": rag, "reporting": reporting, "expected": expected}


def reference_cells(units, kpis, measurements, targets):
    """units: {id: (parent_id, level)}; kpis: {id: (aggregation, direction)};
    measurements: [(kpi, unit, pkey, period, value, numerator, denominator)];
    targets: [(kpi, unit, pkey, period, value, green_at, red_at)].
    Returns {(kpi, unit, pkey, grain, period): {field: value}} with floats."""
    children = defaultdict(list)
    for uid, (parent, _level) in units.items():
        if parent is not None:
            children[parent].append(uid)
    direct = defaultdict(list)  # (kpi, unit, pkey, period) -> [(n, d)]
    for kpi, unit, pkey, period, value, num, den in measurements:
        n, d = (float(num), float(den)) if kpis[kpi][0] == "ratio" else (float(value), 1.0)
        direct[(kpi, unit, pkey, period)].append((n, d))
        if pkey:
            direct[(kpi, unit, 0, period)].append((n, d))
    explicit = {(k, u, p, m): (float(v), Decimal(g), Decimal(r)) for k, u, p, m, v, g, r in targets}

    cells = {}
    for level in LEVELS:
        for uid in [u for u, (_p, lv) in units.items() if lv == level]:
            keys = {(k, p, m) for (k, u, p, m) in direct if u == uid}
            keys |= {(k, p, m) for (k, u, p, m) in explicit if u == uid}
            kids = children[uid]
            keys |= {(k, p, m) for (k, u, p, g, m) in cells if u in kids and g == "month"}
            for kpi, pkey, period in keys:
                agg, direction = kpis[kpi]
                kid_cells = [cells[(kpi, c, pkey, "month", period)] for c in kids
                             if (kpi, c, pkey, "month", period) in cells]
                own = direct.get((kpi, uid, pkey, period), [])
                n = _sum([x for x, _ in own] + [c["numerator"] for c in kid_cells])
                d = _sum([y for _, y in own] + [c["denominator"] for c in kid_cells])
                actual = _div(n, d) if agg in ("average", "ratio") else n
                with_target = [c for c in kid_cells if c["target"] is not None]
                if (kpi, uid, pkey, period) in explicit:
                    target, green, red = explicit[(kpi, uid, pkey, period)]
                else:
                    ts = [c["target"] for c in with_target]
                    target = _sum(ts) if agg in ("sum", "latest") else _mean(ts)
                    green = _mean([c["green_at"] for c in with_target])
                    red = _mean([c["red_at"] for c in with_target])
                    green = Decimal(1) if green is None else green
                    red = Decimal("0.9") if red is None else red
                reporting = sum(c["reporting"] for c in kid_cells) + int(bool(own))
                expected = sum(c["expected"] for c in kid_cells) + int(bool(own)) if kids else 1
                cells[(kpi, uid, pkey, "month", period)] = _finish(
                    agg, direction, actual, n, d, target, green, red, reporting, expected)

    windows = defaultdict(list)
    for (kpi, uid, pkey, _g, period), c in list(cells.items()):
        q = date(period.year, (period.month - 1) // 3 * 3 + 1, 1)
        windows[(kpi, uid, pkey, "quarter", q)].append((period, c))
        for end in range(period.month, 13):
            if (kpi, uid, pkey, "month", date(period.year, end, 1)) in cells:  # YTD only at months with a cell
                windows[(kpi, uid, pkey, "ytd", date(period.year, end, 1))].append((period, c))
    for (kpi, uid, pkey, grain, wperiod), months in windows.items():
        agg, direction = kpis[kpi]
        months.sort(key=lambda pc: pc[0])
        with_actual = [c for _m, c in months if c["numerator"] is not None]
        with_target = [c for _m, c in months if c["target"] is not None]
        la = with_actual[-1] if with_actual else None
        n = _sum([c["numerator"] for _m, c in months])
        d = _sum([c["denominator"] for _m, c in months])
        if agg == "latest":
            actual = la["actual"] if la else None
            n, d = (la["numerator"], la["denominator"]) if la else (None, None)
            target = with_target[-1]["target"] if with_target else None
        elif agg == "sum":
            actual, target = n, _sum([c["target"] for c in with_target])
        else:
            actual, target = _div(n, d), _mean([c["target"] for c in with_target])
        green = _mean([c["green_at"] for c in with_target])
        red = _mean([c["red_at"] for c in with_target])
        cells[(kpi, uid, pkey, grain, wperiod)] = _finish(
            agg, direction, actual, n, d, target, Decimal(1) if green is None else green,
            Decimal("0.9") if red is None else red,
            la["reporting"] if la else 0, la["expected"] if la else max(c["expected"] for _m, c in months))
    return cells
