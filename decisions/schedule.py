BEAT_SCHEDULE = {
    "decisions-escalate-overdue": {"task": "decisions.tasks.escalate_overdue", "schedule": 60.0},
}
