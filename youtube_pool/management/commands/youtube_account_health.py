from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import account_health_check, account_state, next_reset_at


class Command(BaseCommand):
    help = "A table of Google projects and YouTube accounts with usage and health (optionally checked live)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", metavar="EMAIL|CHANNEL", help="Only this account (email, channel id or handle)"
        )
        parser.add_argument("--check", action="store_true", help="Run a live health check (1 unit each) first")

    def handle(self, *args, account=None, check=False, **options):
        accounts = YouTubeAccount.objects.select_related("project", "owner").order_by("is_reserve", "channel_handle")
        if account:
            accounts = accounts.filter(
                Q(email__iexact=account) | Q(channel_id=account) | Q(channel_handle__iexact=account)
            )
            if not accounts.exists():
                raise CommandError(f"No YouTube account {account}")
        if check:
            for item in accounts:
                row = account_health_check(account=item)
                self.stdout.write(f"check {row['account']}: {'ok' if row['ok'] else row['error']}")
            accounts = accounts.all()
        self.stdout.write(f"{'project':<24} {'uploads':>9} {'searches':>9} {'units':>13} {'active':>6}")
        for project in GoogleProject.objects.order_by("name"):
            self.stdout.write(
                f"{project.name[:24]:<24} {project.uploads_used:>4}/{project.upload_limit:<4} "
                f"{project.searches_used:>4}/{project.search_limit:<4} "
                f"{project.units_used:>6}/{project.units_limit:<6} {'yes' if project.is_active else 'no':>6}"
            )
        self.stdout.write("")
        self.stdout.write(
            f"{'account':<32} {'owner':<24} {'project':<16} {'state':<15} {'health':>6} {'uploads':>7} "
            f"{'units':>6} {'errors':>6}"
        )
        for item in accounts:
            owner = item.owner.email if item.owner_id else "platform"
            self.stdout.write(
                f"{(item.email or item.label)[:32]:<32} {owner[:24]:<24} "
                f"{(item.project.name if item.project else '-')[:16]:<16} "
                f"{account_state(item):<15} {item.health_score:>6} {item.uploads_today:>3}/{item.daily_upload_cap:<3} "
                f"{item.quota_used_today:>6} {item.consecutive_errors:>6}"
                + (f"  ({item.deactivated_reason})" if item.deactivated_reason else "")
            )
        self.stdout.write(f"\nNext reset: {next_reset_at().isoformat()}")
