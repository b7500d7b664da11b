import os

# The sweep period is env-configurable so fault tests (and operators) can shorten it.
ESCALATION_SWEEP_SECONDS = float(os.environ.get("ACCORD_ESCALATION_SWEEP_SECONDS", "60"))

BEAT_SCHEDULE = {
    "decisions-escalate-overdue": {"task": "decisions.tasks.escalate_overdue", "schedule": ESCALATION_SWEEP_SECONDS},
    "decisions-resume-due-pauses": {"task": "decisions.tasks.resume_due_pauses", "schedule": ESCALATION_SWEEP_SECONDS},
}
