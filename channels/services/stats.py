"""A channel's YouTube figures, as the stats sync reads them through the channel's own account.

``total_views``, ``total_subscribers`` and ``total_revenue_cents`` change only here. Each write is
one UPDATE of those columns alone, so it never overwrites a concurrent edit of the channel."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import Channel

# PostgreSQL's integer (total_subscribers is a PositiveIntegerField) and bigint bounds.
MAX_INTEGER = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def _count(value, *, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationError({field: [f"Must be an integer between 0 and {maximum}."]})
    return value


def channel_stats_set(*, channel_id, total_views: int, total_subscribers: int | None = None) -> bool:
    """Store the channel's lifetime views and (unless YouTube hides it: None) its subscribers.
    Returns False when the channel no longer exists."""
    fields = {"total_views": _count(total_views, field="total_views", maximum=MAX_BIGINT)}
    if total_subscribers is not None:
        fields["total_subscribers"] = _count(total_subscribers, field="total_subscribers", maximum=MAX_INTEGER)
    return bool(Channel.objects.filter(pk=channel_id).update(**fields, updated_at=timezone.now()))


def channel_revenue_set(*, channel_id, total_revenue_cents: int | None) -> bool:
    """Store the channel's revenue in cents, or None: the channel has not authorised revenue reads
    (yt-analytics-monetary.readonly), which is not the same as earning 0. Returns False when the
    channel no longer exists."""
    if total_revenue_cents is not None:
        _count(total_revenue_cents, field="total_revenue_cents", maximum=MAX_BIGINT)
    updated = Channel.objects.filter(pk=channel_id).update(
        total_revenue_cents=total_revenue_cents, updated_at=timezone.now()
    )
    return bool(updated)
