import os

# The sweep period is env-configurable so fault tests (and operators) can shorten it.
ESCALATION_SWEEP_SECONDS = float(os.environ.get("ACCORD_ESCALATION_SWEEP_SECONDS", "60"))
# The analytics page's default view is precomputed this often; a snapshot older than twice this is
# not shown (the page computes live).
ANALYTICS_SNAPSHOT_SECONDS = float(os.environ.get("ACCORD_ANALYTICS_SNAPSHOT_SECONDS", "600"))

BEAT_SCHEDULE = {
    "decisions-escalate-overdue": {"task": "decisions.tasks.escalate_overdue", "schedule": ESCALATION_SWEEP_SECONDS},
    "decisions-resume-due-pauses": {"task": "decisions.tasks.resume_due_pauses", "schedule": ESCALATION_SWEEP_SECONDS},
    "decisions-refresh-analytics-snapshots": {"task": "decisions.tasks.refresh_analytics_snapshots",
                                              "schedule": ANALYTICS_SNAPSHOT_SECONDS},
}
