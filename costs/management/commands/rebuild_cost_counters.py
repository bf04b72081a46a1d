from django.core.management.base import BaseCommand, CommandError

from costs.services import counters_rebuild
from costs.services.counters import CountersUnavailableError, redis_configured


class Command(BaseCommand):
    help = "Rebuild the Redis cost counters and holds from the ledger and the open holds in the database."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Compute and show, write nothing to Redis.")

    def handle(self, *args, dry_run: bool = False, **options):
        if not redis_configured():
            self.stdout.write(
                "The counters cache is not Redis (embedded default): the database enforces; nothing to do."
            )
            return
        try:
            summary = counters_rebuild(dry_run=dry_run)
        except CountersUnavailableError as exc:
            raise CommandError(f"Redis is unreachable ({exc}); reservations enforce through the database.") from exc
        for day, values in summary["days"].items():
            self.stdout.write(f"  {day}: recorded ${values['recorded']:.4f}, reserved ${values['reserved']:.4f}")
        verb = "Would rebuild" if dry_run else "Rebuilt"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} counters for {summary['videos']} video(s), {len(summary['days'])} day(s), "
                f"{summary['months']} month(s) and {summary['holds']} open hold(s)."
            )
        )
