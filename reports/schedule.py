"""Beat: the digests (UTC; a digest is once per user and period whenever the job runs)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "reports-daily-digest": {"task": "reports.tasks.send_digests", "schedule": crontab(minute=0, hour=6),
                             "kwargs": {"cadence": "daily"}},
    "reports-weekly-digest": {"task": "reports.tasks.send_digests",
                              "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
                              "kwargs": {"cadence": "weekly"}},
}
