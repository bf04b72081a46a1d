from django.core.management.base import BaseCommand
from django.utils import timezone

from videos.automation import automation_limits, automation_run


class Command(BaseCommand):
    help = "Queue videos for channels with automation on, within limits, budget and YouTube capacity."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would be queued; queue nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        limits = automation_limits(now=timezone.now())
        self.stdout.write(
            f"upload room today: {limits.upload_room} ({limits.note}); budget left today: ${limits.budget_left:.2f}"
            + (" — PAUSED (daily budget reached)" if limits.paused else "")
        )
        plans = automation_run(dry_run=dry_run)
        if not plans:
            self.stdout.write("Nothing to queue.")
            return
        for plan in plans:
            done = "would queue" if dry_run else f"queued {len(plan.queued)} of"
            self.stdout.write(f"- {plan.channel_name} ({plan.owner}): {done} {plan.wanted}. {plan.note}".rstrip())
            for title in plan.titles:
                self.stdout.write(f"    · {title}")
        total = sum(plan.wanted if dry_run else len(plan.queued) for plan in plans)
        self.stdout.write(self.style.SUCCESS(f"{'Would queue' if dry_run else 'Queued'} {total} video(s)."))
