from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from decisions.services import escalate_overdue


class Command(BaseCommand):
    help = "Run the decision escalation sweep once (pre-breach warnings and escalations now due)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Evaluate the clock at this ISO 8601 instant (default: now).")

    def handle(self, *args, now: str | None = None, **options):
        at = timezone.now()
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: not an ISO 8601 timestamp: {now}") from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at, timezone.get_current_timezone())
        counts = escalate_overdue(now=at)
        self.stdout.write(f"escalated {counts['escalated']}, warned {counts['warned']}, "
                          f"at the top {counts['exhausted']} (clock {at.isoformat()})")
