from django.core.management.base import BaseCommand

from youtube_pool.services import quota_reset_due


class Command(BaseCommand):
    help = "Reset YouTube project buckets and account counters not yet reset since the last Pacific midnight."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be reset")
        parser.add_argument("--force", action="store_true", help="Reset everything now, even if reset today")

    def handle(self, *args, dry_run=False, force=False, **options):
        report = quota_reset_due(dry_run=dry_run, force=force)
        verb = "Would reset" if dry_run else "Reset"
        self.stdout.write(
            f"{verb} {report.projects} project(s) and {report.accounts} account(s) "
            f"(Pacific day started {report.day_start.isoformat()})."
        )
