from django.conf import settings
from django.db.models import Count, Q

from .models import YouTubeAccount


def account_pool_summary() -> dict:
    """Counts for health output: ``"N/15 active"`` plus reserve and accounts needing re-authorisation."""
    counts = YouTubeAccount.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True, is_reserve=False)),
        reserve=Count("id", filter=Q(is_active=True, is_reserve=True)),
        needs_reauth=Count("id", filter=Q(needs_reauth=True)),
    )
    expected = settings.YOUTUBE_EXPECTED_ACCOUNTS
    usable = counts["active"] + counts["reserve"]
    return {
        "status": "ok" if usable else "empty",
        "summary": f"{usable}/{expected} active",
        **counts,
        "expected": expected,
    }
