from django.core.management.base import BaseCommand

from kpis.services import rollup


class Command(BaseCommand):
    help = "Run the scorecard rollup now: incremental (dirty cells and their ancestors) or --full."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild every cell from the measurements.")

    def handle(self, *args, full: bool = False, **options):
        result = rollup.rollup_full() if full else rollup.rollup_incremental()
        self.stdout.write(
            f"{result.mode} rollup: {result.dirty_keys} dirty keys, {result.cells_written} cells written "
            f"in {result.seconds:.2f} s"
        )
