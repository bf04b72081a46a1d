"""Demo data for `make run`: a few days of ledger rows for the demo customer's videos."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

DEMO_MARK = "costs-demo"


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: adds demo charges once, to the customer's existing videos (if any)."""
    from costs.models import VideoCost
    from costs.services import budget_date_for, cost_record
    from videos.models import Video

    videos = list(Video.objects.filter(channel__user=customer).order_by("created_at")[:3])
    if not videos:
        return "no demo videos yet; cost ledger left empty"
    if VideoCost.objects.filter(metadata__source=DEMO_MARK).exists():
        return f"{VideoCost.objects.count()} ledger rows (demo already loaded)"
    plan = [("openai", Decimal("0.0160")), ("tts", Decimal("0.0960")), ("rendering", Decimal("0.1000"))]
    created = 0
    for video in videos:
        for service, amount in plan:
            cost_record(video=video, service=service, amount=amount, metadata={"source": DEMO_MARK, "sandbox": True})
            created += 1
    # A little history for the daily report (charges of earlier budget days).
    now = timezone.now()
    for days_ago in range(1, 6):
        at = now - timedelta(days=days_ago)
        VideoCost(
            video=videos[0],
            service="rendering",
            amount=Decimal("0.0500") * days_ago,
            timestamp=at,
            budget_date=budget_date_for(at),
            metadata={"source": DEMO_MARK, "sandbox": True},
        ).save()
        created += 1
    return f"{created} demo ledger rows on {len(videos)} video(s)"
