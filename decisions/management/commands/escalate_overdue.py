from django.core.management.base import BaseCommand
from django.utils import timezone

from decisions.services import chase_overdue, escalate_overdue
from governance.management.clock import add_now_argument, parse_now


class Command(BaseCommand):
    help = "Run the decision escalation sweep once (pre-breach warnings and escalations now due)."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        at = parse_now(now) or timezone.now()
        counts = escalate_overdue(now=at)
        chased = chase_overdue(now=at)
        self.stdout.write(f"escalated {counts['escalated']}, warned {counts['warned']}, "
                          f"at the top {counts['exhausted']}; answers reminded {chased['reminded']}, "
                          f"chased {chased['chased']}, nobody higher {chased['top']} (clock {at.isoformat()})")
