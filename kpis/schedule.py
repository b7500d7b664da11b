"""Safety net: an incremental rollup every five minutes picks up dirty cells whose
after-commit message was lost (a no-op when nothing is dirty)."""

BEAT_SCHEDULE = {
    "kpis-rollup-scorecards": {"task": "kpis.tasks.rollup_scorecards", "schedule": 300.0},
}
