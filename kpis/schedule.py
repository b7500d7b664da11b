"""Safety net: an incremental rollup every five minutes picks up dirty cells whose
after-commit message was lost (a no-op when nothing is dirty). Late-reporter reminders daily (each
owner is reminded once per period, whatever the schedule). Every minute, import jobs whose message
was lost (broker down) or whose worker died are sent again (a no-op when there are none). Daily, the
ENABLEMENT KPI's last closed month from the partnerships' enablement items.

The safety net's period is env-configurable (``ACCORD_ROLLUP_SWEEP_SECONDS``) so fault tests and
operators can shorten it before beat starts."""

import os

ROLLUP_SWEEP_SECONDS = float(os.environ.get("ACCORD_ROLLUP_SWEEP_SECONDS", "300"))

BEAT_SCHEDULE = {
    "kpis-rollup-scorecards": {"task": "kpis.tasks.rollup_scorecards", "schedule": ROLLUP_SWEEP_SECONDS},
    "kpis-remind-late-reporters": {"task": "kpis.tasks.remind_late_reporters", "schedule": 86400.0},
    "kpis-catch-up-imports": {"task": "kpis.tasks.catch_up_imports", "schedule": 60.0},
    "kpis-feed-enablement": {"task": "kpis.tasks.feed_enablement", "schedule": 86400.0},
}
