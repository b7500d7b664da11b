"""The load figures ``make load`` last recorded on this machine, beside issue 22's goal: the last part
of ``make bench``. Reads ``test-artifacts/load-report.json`` (users saturating the machine) and
``load-report-paced.json`` (the paced run) as ``tests/load/test_load.py`` wrote them; runs nothing.

The goal: 50 closed-loop users, the generator on the same 2-core machine, ≥ 60 req/s with p95 ≤ 300 ms,
0 errors and every acknowledged write stored (the test fails otherwise, so a report exists only for a
run that lost nothing). The saturated run shows the capacity (req/s), the paced run the latency at
the goal's rate. Figures are of the commit and machine named beside them: a report from an older
commit or another interpreter is stale, and ``make load`` (about 5 minutes) makes new ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
RUNS = (("saturated", "load-report.json"), ("paced", "load-report-paced.json"))
GOAL_RPS, GOAL_P95_MS = 60.0, 300.0


def _overall(report: dict) -> dict:
    """The report's "all requests" row (every request type together)."""
    return next(r for r in report["table"] if r["request"] == "all requests")


def _goal(run: str, report: dict) -> tuple[str, bool]:
    """The goal ``run`` is judged on, in words, and whether it met it: the saturated run answers "is
    there the capacity" (req/s); the paced run the whole goal."""
    fast_enough = report["throughput_rps"] >= GOAL_RPS and report["errors"] == 0
    if run == "saturated":
        return f"≥ {GOAL_RPS:g} req/s, 0 errors", fast_enough
    return (f"≥ {GOAL_RPS:g} req/s, p95 ≤ {GOAL_P95_MS:g} ms, 0 errors",
            fast_enough and _overall(report)["p95_ms"] <= GOAL_P95_MS)


def _when(report: dict) -> str:
    if report.get("finished_at") is None:
        return "when and of which commit not recorded (a report from before the load test recorded them)"
    return f"finished {report['finished_at']}, commit {report.get('commit') or 'unknown'}"


def figures(artifacts: Path = ARTIFACTS) -> str:
    """The Markdown section: one row per run found, or what to run when there is none."""
    found = [(run, json.loads(path.read_text())) for run, name in RUNS if (path := artifacts / name).exists()]
    heading = "Load (`make load`: 50 users, gunicorn as in docker-compose.yml, the generator on the same machine):"
    if not found:
        return f"{heading}\n\nNo `make load` report in {artifacts}: run `make load` (about 5 minutes)."
    lines = [heading, "",
             "| run | pause between steps | req/s | p50 (ms) | p95 (ms) | p99 (ms) | slowest type by p95 | errors "
             "| goal | met |",
             "|---|---|---:|---:|---:|---:|---|---:|---|---|"]
    for run, report in found:
        low, high = report["think_s"]
        overall = _overall(report)
        goal, met = _goal(run, report)
        slowest = max((r for r in report["table"] if r is not overall), key=lambda r: r["p95_ms"])
        lines.append(f"| {run} | {low:g}–{high:g} s | {report['throughput_rps']} | {overall['p50_ms']} | "
                     f"{overall['p95_ms']} | {overall['p99_ms']} | {slowest['request']} ({slowest['p95_ms']} ms) | "
                     f"{report['errors']} | {goal} | {'yes' if met else 'no'} |")
    lines.append("")
    for run, report in found:
        groups = report["cpu"]["groups"]
        web = groups.get("web (gunicorn)", {})
        per_request = web.get("cpu_s", 0) * 1000 / report["requests"] if report["requests"] else 0
        shares = ", ".join(f"{name} {g['share_pct']}%" for name, g in groups.items())
        lines.append(f"- {run}: {report['requests']:,} requests in {report['duration_s']} s; gunicorn "
                     f"{report['gunicorn']}, {per_request:.1f} ms of its CPU per request; CPU shares of the 2 cores: "
                     f"{shares} (the machine {report['cpu']['machine_busy_pct']}% busy); {_when(report)}; "
                     f"{report['machine']}; {report.get('python', '')}")
    return "\n".join(lines)


def main(argv=None) -> str:
    p = argparse.ArgumentParser(prog="python -m bench.load_figures", description=__doc__.splitlines()[0])
    p.add_argument("--artifacts", type=Path, default=ARTIFACTS, help="Where make load wrote its reports.")
    text = figures(p.parse_args(argv).artifacts)
    print(text)
    return text


if __name__ == "__main__":
    main()
