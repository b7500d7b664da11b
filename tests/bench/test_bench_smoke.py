"""The benchmark at a tiny scale, so it cannot rot: every operation runs and reports a positive
time, and the incremental rollup leaves exactly the cells a full rebuild writes.

``--no-http`` leaves out the gunicorn latency step (it starts processes and needs minutes of
requests); the decision-list throughput step still runs, in-process.
"""

import json

import pytest

from bench.runner import main

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_bench_smoke_run_reports_every_operation_and_incremental_equals_full(tmp_path):
    out = tmp_path / "bench.json"
    result = main(["--measurements", "20000", "--decisions", "2000", "--no-http", "--requests", "10",
                   "--import-rows", "2000", "--tiny-org", "--output", str(out)])

    saved = json.loads(out.read_text())
    names = [op["name"] for op in saved["operations"]]
    assert names[0] == "full rollup"
    assert names[1] == "incremental rollup (1k measurements)"
    assert names[2].startswith("escalation sweep")
    assert names[3].startswith("CSV import")
    assert names[4] == "decision list API (page of 100)"
    assert names[5:9] == [f"latency by party, {who}, {window} ({result['operations'][5]['intervals']:,} stage "
                          f"intervals)" for who in ("admin", "regional leader") for window in ("all time",
                                                                                            "last 180 days")]
    assert [n.split(",")[0] for n in names[9:11]] == ["decision latency (the analytics page's other half)"] * 2
    assert names[11].startswith("analytics snapshots refresh") and len(names) == 12
    # Several intervals per decision: the decider's and waits on the other parties (issue 18).
    assert result["operations"][5]["intervals"] >= 3 * 2_000
    for op in saved["operations"]:
        assert op["ours"] > 0, op["name"]
        if op["name"] != "incremental rollup (1k measurements)" and op["target"] != "(context)":
            assert op["limit"] > 0, op["name"]
    assert saved["data"]["measurements"] == 20_000
    assert saved["data"]["decisions"] == 2_000

    rollup, incremental, sweep = result["operations"][0], result["operations"][1], result["operations"][2]
    assert rollup["cells"] == rollup["hand_cells"] > 0 and rollup["cells_differing"] == 0
    assert rollup["command_seconds"] > 0 and rollup["command_cells"] == rollup["cells"]  # the operator's command
    assert incremental["dirty_keys"] == incremental["new_measurements"] > 500
    assert len(incremental["rounds"]) == 3 and incremental["ours"] in incremental["rounds"]
    assert incremental["incremental_rows"] == incremental["full_rows"] > rollup["cells"]
    assert incremental["rows_differing"] == 0
    # The hand-written sweep writes exactly what ours writes.
    assert sweep["due"] > 0
    assert sweep["ours_rows"] == sweep["hand_rows"]
    assert sweep["ours_counts"]["escalated"] == sweep["due"]
    assert "| full rollup |" in saved["markdown"]
    # The import step: each side twice, the faster run counts.
    imported = result["operations"][3]
    assert [len(imported["runs_seconds"][side]) for side in ("ours", "copy", "same")] == [2, 2, 2]
    assert imported["ours_seconds"] == min(imported["runs_seconds"]["ours"])
    assert imported["ratio"] == pytest.approx(imported["copy_seconds"] / imported["ours_seconds"])
    # Its floor: the COPY of the same writes plus the plausibility check's least read, both twice.
    assert len(imported["runs_seconds"]["read"]) == 2
    assert imported["floor_seconds"] == pytest.approx(imported["same_writes_copy_seconds"]
                                                      + min(imported["runs_seconds"]["read"]))
    assert imported["ratio_to_floor"] == pytest.approx(imported["floor_seconds"] / imported["ours_seconds"])

    # The incremental step alone on the same data (rounds in fresh months, removed afterwards).
    from decisions.models import DecisionStage
    from kpis.models import Measurement, ScorecardCell

    before = (Measurement.objects.count(), ScorecardCell.objects.count())
    again = main(["--measurements", "20000", "--decisions", "2000", "--reuse", "--only-incremental",
                  "--incremental-rounds", "2", "--tiny-org", "--output", str(out)])
    assert [op["name"] for op in again["operations"]] == ["incremental rollup (1k measurements)"]
    assert len(again["operations"][0]["rounds"]) == 2
    assert again["operations"][0]["dirty_keys"] == incremental["dirty_keys"]
    assert (Measurement.objects.count(), ScorecardCell.objects.count()) == before


    # The latency step alone on the same data: the function for both viewers and windows (no HTTP).
    latency = main(["--measurements", "20000", "--decisions", "2000", "--reuse", "--only-latency", "--no-http",
                    "--tiny-org", "--output", str(out)])
    assert [op["name"] for op in latency["operations"]] == names[5:]
    kinds = set(DecisionStage.objects.filter(decision__org_unit__code__startswith=saved["data"]["prefix"])
                .values_list("stage", "party_kind").distinct())
    assert kinds == {("decision", "function"), ("input", "function"), ("agree", "function"),
                     ("drafting", "requester"), ("paused", "partner"), ("paused", "function")}

    # The import step alone on the same data (no cells needed): each side twice, issue 22's target
    # against the COPY of the same writes, CPU time per side (the server runs on this machine), and
    # every row removed afterwards.
    imported = main(["--measurements", "20000", "--decisions", "2000", "--reuse", "--only-import",
                     "--import-rows", "600", "--tiny-org", "--output", str(out)])
    assert [op["name"] for op in imported["operations"]] == ["CSV import (600 rows)"]
    step = imported["operations"][0]
    assert step["same_writes_met"] == (step["same_writes_copy_seconds"] / step["ours_seconds"] >= 0.8)
    assert [len(step["runs_cpu_seconds"][side]) for side in ("ours", "copy", "same")] == [2, 2, 2]
    assert step["cpu_ratio_to_same_writes"] == pytest.approx(
        min(step["runs_cpu_seconds"]["same"]) / min(step["runs_cpu_seconds"]["ours"]))
    assert (Measurement.objects.count(), ScorecardCell.objects.count()) == before

    # The import profile on the same data: three rounds, every row created, all removed afterwards.
    from bench.profile_import import main as profile_import

    rounds = profile_import(["--prefix", saved["data"]["prefix"], "--rows", "600"])
    assert [r["created"] for r in rounds] == [600, 600, 600]
    assert all(r["copy"] > 0 and r["ours"] > r["commit"] > 0 for r in rounds)
    assert (Measurement.objects.count(), ScorecardCell.objects.count()) == before
