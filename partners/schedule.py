"""Periodic jobs of the partners app (merged into CELERY_BEAT_SCHEDULE by settings)."""

BEAT_SCHEDULE = {
    # Due dates are days; every 15 minutes is plenty and the sweep is idempotent.
    "partners-flag-overdue-reviews": {"task": "partners.tasks.flag_overdue_reviews", "schedule": 15 * 60.0},
}
