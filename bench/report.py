"""The Markdown table and the hand-made SVG line chart (no plotting library needed)."""

from __future__ import annotations

from html import escape


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:,.0f} {unit}"


def markdown_table(result: dict) -> str:
    cells = result["data"].get("cells")  # counted by the full rollup step only
    lines = [
        f"Data: {result['data']['measurements']:,} measurements, {result['data']['decisions']:,} decisions"
        f"{f' ({cells:,} scorecard cells)' if cells is not None else ''}. Machine: {result['machine']['summary']}.",
        "",
        "| operation | ours | physical limit | ratio (ours/limit) | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for op in result["operations"]:
        ours = _fmt(op["ours"], op["unit"])
        if len(op.get("rounds", [])) > 1:
            ours += f" (median of {', '.join(_fmt(r, op['unit']) for r in op['rounds'])})"
        lines.append(
            f"| {op['name']} | {ours} | {_fmt(op.get('limit'), op['unit'])} | "
            f"{op['ratio']:.2f}× | {op['target']} | {'yes' if op.get('met') else 'no'} |"
            if op.get("ratio") is not None else
            f"| {op['name']} | {ours} | — | — | {op['target']} | "
            f"{'—' if op.get('met') is None else 'yes' if op['met'] else 'no'} |")
        if op.get("command_seconds"):
            lines.append(
                f"| ↳ `manage.py rollup_scorecards --full` over the existing cells (new process, wall clock) | "
                f"{_fmt(op['command_seconds'], op['unit'])} | {_fmt(op['limit'], op['unit'])} | "
                f"{op['command_ratio']:.2f}× | {op['command_target']} | {'yes' if op['command_met'] else 'no'} |")
        if op.get("same_writes_copy_rate"):
            lines.append(
                f"| ↳ same import vs COPY of the same writes (rows + history rows + dirty keys) | "
                f"{_fmt(op['ours'], op['unit'])} | {_fmt(op['same_writes_copy_rate'], op['unit'])} | "
                f"{op['ratio_to_same_writes']:.2f}× | {op.get('same_writes_target', '(context)')} | "
                f"{'—' if op.get('same_writes_met') is None else 'yes' if op['same_writes_met'] else 'no'} |")
        if op.get("floor_seconds"):
            lines.append(
                f"| ↳ same import vs its floor: the COPY of the same writes + the plausibility check's least read "
                f"({op['check_read_seconds']:.3f} s) | {op['ours_seconds']:.3f} s | {op['floor_seconds']:.3f} s | "
                f"{op['ratio_to_floor']:.2f}× | (context) | — |")
        if op.get("cpu_ratio_to_same_writes"):
            lines.append(
                f"| ↳ in CPU time (this process + its database backend: the shared cores' load left out) | "
                f"— | — | {op['cpu_ratio']:.2f}× raw COPY, {op['cpu_ratio_to_same_writes']:.2f}× same writes | "
                f"(context) | — |")
    for page in result.get("http", []):
        lines.append(
            f"| {page['name']} ({page['scale']}) | p50 {page['p50_ms']:.1f} ms / p95 {page['p95_ms']:.1f} ms | — | — | "
            f"p95 ≤ 150 ms, {page['queries']} queries | {'yes' if page['p95_ms'] <= 150 else 'no'} |")
    return "\n".join(lines)


def svg_line_chart(points: list[tuple[float, dict[str, float]]], *, title: str, x_label: str, y_label: str,
                   x_notes: dict[float, str] | None = None, width: int = 640, height: int = 360) -> str:
    """points: [(x, {series: y})]; one polyline per series, axes with ticks and a legend;
    ``x_notes`` adds a second line under an x tick (e.g. the number of cells)."""
    colours = ["#0d6efd", "#dc3545", "#198754", "#fd7e14"]
    series = sorted({name for _, ys in points for name in ys})
    xs = [x for x, _ in points]
    ys = [y for _, d in points for y in d.values()]
    left, right, top, bottom = 70, 30, 40, 56
    x_max, y_max = max(xs) * 1.05, max(ys) * 1.15 or 1
    sx = lambda x: left + x / x_max * (width - left - right)  # noqa: E731
    sy = lambda y: height - bottom - y / y_max * (height - top - bottom)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>',
           f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>',
           f'<text x="15" y="{height / 2}" text-anchor="middle" transform="rotate(-90 15 {height / 2})">'
           f'{escape(y_label)}</text>']
    for i in range(6):
        y = y_max * i / 5
        out.append(f'<line x1="{left - 4}" y1="{sy(y):.1f}" x2="{width - right}" y2="{sy(y):.1f}" stroke="#eee"/>')
        tick = f"{y:,.0f}" if y_max >= 50 else f"{y:.3g}"
        out.append(f'<text x="{left - 8}" y="{sy(y) + 4:.1f}" text-anchor="end">{tick}</text>')
    for x in xs:
        out.append(f'<text x="{sx(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{x:g}</text>')
        if x_notes and x in x_notes:
            out.append(f'<text x="{sx(x):.1f}" y="{height - bottom + 29}" text-anchor="middle" font-size="10" '
                       f'fill="#666">{escape(x_notes[x])}</text>')
    for n, name in enumerate(series):
        pts = [(sx(x), sy(d[name])) for x, d in points if name in d]
        colour = colours[n % len(colours)]
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                   + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>' for a, b in pts)
        out.append(f'<rect x="{left + 10}" y="{top + 4 + n * 16}" width="12" height="3" fill="{colour}"/>')
        out.append(f'<text x="{left + 28}" y="{top + 9 + n * 16}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)
