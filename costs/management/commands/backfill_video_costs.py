from django.core.management.base import BaseCommand

from costs.services import video_costs_backfill


class Command(BaseCommand):
    help = "Recompute every video's total_cost and cost_breakdown from the cost ledger."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would change, write nothing.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run: bool = False, batch_size: int = 500, **options):
        width = 30

        def progress(done: int, total: int) -> None:
            filled = int(width * done / total) if total else width
            self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            self.stdout.flush()

        result = video_costs_backfill(dry_run=dry_run, batch_size=max(1, batch_size), progress=progress)
        self.stdout.write("")
        verb = "would change" if dry_run else "changed"
        self.stdout.write(self.style.SUCCESS(f"Checked {result['checked']} video(s); {verb} {result['changed']}."))
