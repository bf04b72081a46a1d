from django.core.management.base import BaseCommand, CommandError

from analytics.backfill import stats_snapshots_backfill

from ._arguments import parse_day
from ._progress import WIDTH


class Command(BaseCommand):
    help = (
        "Rebuild statistics snapshots from the stored totals (where a day's snapshot is missing) and the "
        "daily rollups from what is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="First rollup day (YYYY-MM-DD); default the first day.")
        parser.add_argument("--to", dest="date_to", help="Last rollup day (YYYY-MM-DD); default today (UTC).")
        parser.add_argument("--dry-run", action="store_true", help="Count the missing snapshots, write nothing.")

    def handle(self, *args, date_from=None, date_to=None, dry_run=False, **options):
        first, last = parse_day(date_from, option="--from"), parse_day(date_to, option="--to")
        if first and last and first > last:
            raise CommandError("--from must be on or before --to")
        state = {"phase": None}

        def progress(phase: str, done: int, total: int) -> None:
            if state["phase"] not in (None, phase):
                self.stdout.write("")
            state["phase"] = phase
            filled = int(WIDTH * done / total) if total else WIDTH
            self.stdout.write(f"\r{phase:16} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}", ending="")
            self.stdout.flush()

        result = stats_snapshots_backfill(date_from=first, date_to=last, dry_run=dry_run, progress=progress)
        self.stdout.write("")
        verb = "would add" if dry_run else "added"
        self.stdout.write(
            self.style.SUCCESS(
                f"Snapshots: {verb} {result['channel_snapshots']} channel and {result['video_snapshots']} video "
                f"snapshot(s). Rollups: {result['rollup_days']} day(s), {result['rollup_rows']} row(s)."
            )
        )
