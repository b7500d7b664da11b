from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners import services


class Command(BaseCommand):
    help = "Flag overdue business reviews and review actions now and notify their owners (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Evaluate the clock at this ISO 8601 instant (2026-05-01T09:00:00+02:00).")

    def handle(self, *args, now: str | None = None, **options):
        at = None
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: not an ISO 8601 timestamp: {now!r}") from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at, timezone.get_default_timezone())
        result = services.flag_overdue(now=at)
        self.stdout.write(f"{result['reviews_flagged']} overdue review(s) and {result['actions_flagged']} "
                          f"overdue action(s) flagged.")
