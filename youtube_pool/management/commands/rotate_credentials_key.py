from django.core.management.base import BaseCommand, CommandError

from youtube_pool.services.credentials import credentials_rotate_all
from ytempire.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored YouTube secret with the newest key of CREDENTIALS_ENCRYPTION_KEYS. "
        "Prepend the new key, run this, then drop the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Check every secret decrypts; write nothing")

    def handle(self, *args, dry_run=False, **options):
        try:
            counts = credentials_rotate_all(dry_run=dry_run)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {counts['projects']} project secret(s) and {counts['accounts']} account(s).")
        )
