"""Safety net: an incremental rollup every five minutes picks up dirty cells whose
after-commit message was lost (a no-op when nothing is dirty). Late-reporter reminders daily (each
owner is reminded once per period, whatever the schedule). Every minute, import jobs whose message
was lost (broker down) or whose worker died are sent again (a no-op when there are none). Daily, the
ENABLEMENT KPI's last closed month from the partnerships' enablement items."""

BEAT_SCHEDULE = {
    "kpis-rollup-scorecards": {"task": "kpis.tasks.rollup_scorecards", "schedule": 300.0},
    "kpis-remind-late-reporters": {"task": "kpis.tasks.remind_late_reporters", "schedule": 86400.0},
    "kpis-catch-up-imports": {"task": "kpis.tasks.catch_up_imports", "schedule": 60.0},
    "kpis-feed-enablement": {"task": "kpis.tasks.feed_enablement", "schedule": 86400.0},
}
