"""``python -m bench.chart OUT.svg RESULT.json…``: full-rollup time (ours and the hand-written
limit) against the number of measurements, one point per result file."""

import json
import sys
from pathlib import Path

from bench.report import svg_line_chart


def main(argv: list[str]) -> None:
    out, *files = argv
    points, notes = [], {}
    for name in files:
        result = json.loads(Path(name).read_text())
        full = next(op for op in result["operations"] if op["name"] == "full rollup")
        x = result["data"]["measurements"] / 1e6
        notes[x] = f"{result['data'].get('cells', 0) / 1e6:.1f}M cells"
        points.append((x, {"ours (level by level)": full["ours"], "hand-written INSERT … SELECT": full["limit"]}))
    points.sort(key=lambda p: p[0])
    Path(out).write_text(svg_line_chart(points, title="Full scorecard rollup: time vs data size",
                                        x_label="measurements (millions)", y_label="seconds",
                                        x_notes=notes))


if __name__ == "__main__":
    main(sys.argv[1:])
