"""``make bench``'s last part: the figures ``make load`` recorded, judged against issue 22's goal
(the saturated run: ≥ 60 req/s; the paced run: ≥ 60 req/s with p95 ≤ 300 ms; both: 0 errors)."""

import json

from bench.load_figures import figures


def _report(*, rps: float, p95: float, errors: int = 0, think=(0.05, 0.4), commit="abc1234") -> dict:
    return {
        "duration_s": 120.0, "users": {"manager": 20, "partner": 15, "leader": 15}, "think_s": list(think),
        "requests": int(rps * 120), "throughput_rps": rps, "errors": errors,
        "table": [{"request": "API agree (POST)", "count": 10, "p50_ms": 1.0, "p95_ms": 999.0, "p99_ms": 1.0,
                   "max_ms": 1.0},
                  {"request": "all requests", "count": int(rps * 120), "p50_ms": 40.0, "p95_ms": p95,
                   "p99_ms": 170.0, "max_ms": 900.0}],
        "cpu": {"machine_busy_pct": 81.1, "groups": {"web (gunicorn)": {"cpu_s": rps * 120 * 0.015, "share_pct": 56},
                                                     "load generator": {"cpu_s": 5.5, "share_pct": 2.3}}},
        "gunicorn": "--bind 127.0.0.1:1 --workers 3",
        "machine": "Linux, 2 CPUs, Python 3.11.7", "python": "Python 3.11.7 (/usr/bin/python3.11).",
        "finished_at": "2026-12-08T00:30:00+00:00", "commit": commit,
    }


def _rows(text: str) -> dict[str, list[str]]:
    return {cells[0]: cells for line in text.splitlines() if line.startswith("| ")
            for cells in [[c.strip() for c in line.strip("|").split("|")]] if cells[0] in ("saturated", "paced")}


def _write(path, name, report):
    (path / name).write_text(json.dumps(report))


def test_each_run_is_judged_on_its_own_part_of_the_goal(tmp_path):
    _write(tmp_path, "load-report.json", _report(rps=86.1, p95=487.6))  # saturated: capacity only
    _write(tmp_path, "load-report-paced.json", _report(rps=71.4, p95=111.7, think=(0.3, 1.0)))
    rows = _rows(figures(tmp_path))
    assert rows["saturated"][2:5] == ["86.1", "40.0", "487.6"] and rows["saturated"][-1] == "yes"
    assert rows["paced"][1] == "0.3–1 s" and rows["paced"][4] == "111.7" and rows["paced"][-1] == "yes"
    assert rows["paced"][6] == "API agree (POST) (999.0 ms)"  # the slowest request type, not the overall row
    text = figures(tmp_path)
    # which code and server configuration, its cost, and the generator's share of the machine
    assert "commit abc1234" in text and "--workers 3" in text and "15.0 ms of its CPU per request" in text
    assert "load generator 2.3%" in text


def test_a_slow_p95_too_few_requests_or_an_error_is_not_met(tmp_path):
    _write(tmp_path, "load-report-paced.json", _report(rps=60.2, p95=383.0, think=(0.3, 1.0)))
    assert _rows(figures(tmp_path))["paced"][-1] == "no"  # the rate, not the latency
    _write(tmp_path, "load-report-paced.json", _report(rps=58.2, p95=120.0, think=(0.3, 1.0)))
    assert _rows(figures(tmp_path))["paced"][-1] == "no"  # the latency, not the rate
    _write(tmp_path, "load-report.json", _report(rps=90.0, p95=400.0, errors=1))
    assert _rows(figures(tmp_path))["saturated"][-1] == "no"


def test_without_a_report_it_says_what_to_run(tmp_path):
    text = figures(tmp_path)
    assert "run `make load`" in text and "| saturated" not in text
