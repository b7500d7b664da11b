"""Safety net: an incremental rollup every five minutes picks up dirty cells whose
after-commit message was lost (a no-op when nothing is dirty). Late-reporter reminders daily (each
owner is reminded once per period, whatever the schedule)."""

BEAT_SCHEDULE = {
    "kpis-rollup-scorecards": {"task": "kpis.tasks.rollup_scorecards", "schedule": 300.0},
    "kpis-remind-late-reporters": {"task": "kpis.tasks.remind_late_reporters", "schedule": 86400.0},
}
