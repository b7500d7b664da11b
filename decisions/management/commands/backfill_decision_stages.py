from django.core.management.base import BaseCommand

from decisions.services.stage_backfill import backfill_stages


class Command(BaseCommand):
    help = ("Rebuild the stored stage intervals of decisions (who each waited on, when) from their "
            "timelines: for decisions logged before stages were stored. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Decision ids (default: all decisions).")

    def handle(self, *args, ids=None, **options):
        count = backfill_stages(ids or None)
        self.stdout.write(f"stage intervals rebuilt for {count} decision(s)")
