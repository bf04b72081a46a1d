from django.core.management.base import BaseCommand, CommandError

from analytics.sync import youtube_stats_sync
from channels.models import Channel

from ._arguments import parse_day, parse_uuid
from ._progress import progress_bar


class Command(BaseCommand):
    help = (
        "Read the bound channels' YouTube statistics (and revenue where authorised) through each channel's "
        "own account, metered; skipped channels are retried by the hourly task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="Only this channel (its id).")
        parser.add_argument(
            "--since", help="Only videos published on or after this UTC day (YYYY-MM-DD); revenue is read from it."
        )

    def handle(self, *args, channel=None, since=None, **options):
        channel_id = parse_uuid(channel, option="--channel")
        since_day = parse_day(since, option="--since")
        if channel_id is not None:
            found = Channel.objects.filter(pk=channel_id).values_list("youtube_account_id", flat=True).first()
            if found is None:
                raise CommandError(f"--channel: no connected channel {channel_id} (unknown, or not bound to YouTube)")
        report = youtube_stats_sync(channel_id=channel_id, since=since_day, progress=progress_bar(self, "channels"))
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.channels} channel(s): {report.synced} synced, {report.partial} partly, "
                f"{report.skipped} skipped, {report.failed} failed; {report.videos} video(s) read "
                f"in {report.calls} metered call(s)."
            )
        )
        for reason, count in sorted(report.reasons.items()):
            self.stdout.write(f"  {count} x {reason}")
