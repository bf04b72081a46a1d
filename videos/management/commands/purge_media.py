from django.conf import settings
from django.core.management.base import BaseCommand

from videos.retention import REASONS, human_bytes, media_purge


class Command(BaseCommand):
    help = (
        "Delete local media past retention under STORAGE_BASE_PATH: published videos' files after "
        "VIDEO_RETENTION_DAYS (thumbnails after THUMBNAIL_RETENTION_DAYS), failed and cancelled videos' "
        "files, and orphans. Never a file of a video still in progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be freed; delete nothing.")

    def handle(self, *args, dry_run: bool = False, verbosity: int = 1, **options):
        self.stdout.write(
            f"{'Dry run: nothing is deleted. ' if dry_run else ''}Media under {settings.STORAGE_BASE_PATH}: "
            f"videos kept {settings.VIDEO_RETENTION_DAYS} days after publishing, thumbnails "
            f"{settings.THUMBNAIL_RETENTION_DAYS} days; failed/cancelled videos' files "
            f"{settings.VIDEO_RETENTION_DAYS} days after they stopped."
        )
        shown: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            # A line per tenth of the work (the last included), not one per file.
            tenth = done * 10 // total
            if tenth > shown.get(phase, 0):
                shown[phase] = tenth
                self.stdout.write(f"  checking {phase}: {done}/{total} ({done * 100 // total}%)")

        report = media_purge(dry_run=dry_run, progress=progress)
        verb = "Would free" if dry_run else "Freed"
        if verbosity > 1:
            for item in report.files:
                self.stdout.write(f"  {item.path} ({human_bytes(item.size)}, {item.reason})")
        for reason, (count, size) in report.by_reason().items():
            if count:
                self.stdout.write(f"  {REASONS[reason]}: {count} file(s), {human_bytes(size)}")
        kept = [
            (report.kept_in_progress, "of videos still in progress"),
            (report.kept_recent, "unreferenced but less than a day old"),
            (report.outside_storage, "referenced outside STORAGE_BASE_PATH (not touched)"),
        ]
        for count, why in kept:
            if count:
                self.stdout.write(f"  kept {count} file(s) {why}")
        for error in report.errors:
            self.stderr.write(f"  could not delete {error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(report.files)} file(s), {human_bytes(report.bytes_freed)} ({report.bytes_freed} bytes)."
            )
        )
