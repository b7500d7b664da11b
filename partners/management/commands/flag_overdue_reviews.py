from django.core.management.base import BaseCommand

from governance.management.clock import add_now_argument, parse_now
from partners import services


class Command(BaseCommand):
    help = "Flag overdue business reviews and review actions now and notify their owners (idempotent)."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        result = services.flag_overdue(now=parse_now(now))
        self.stdout.write(f"{result['reviews_flagged']} overdue review(s) and {result['actions_flagged']} "
                          f"overdue action(s) flagged.")
