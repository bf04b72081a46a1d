"""Channel reads. A customer sees only their channels; role admin sees all."""

import uuid

from django.db.models import QuerySet

from ytempire.core.exceptions import NotFoundError
from ytempire.core.visibility import owned_by

from .models import Channel, ChannelEvent

CHANNEL_NOT_FOUND = "Channel not found"


def channel_visible_queryset(*, user) -> QuerySet[Channel]:
    return owned_by(Channel.objects.all(), user=user, owner_path="user_id")


def channel_list(*, user) -> QuerySet[Channel]:
    """The caller's channels, newest first (uses channels_user_created_idx); filters apply on top."""
    return channel_visible_queryset(user=user).order_by("-created_at", "-id")


def channel_get(*, user, channel_id) -> Channel:
    """One channel of the caller's, or NotFoundError "Channel not found" (also for others' ids)."""
    try:
        pk = channel_id if isinstance(channel_id, uuid.UUID) else uuid.UUID(str(channel_id))
    except (TypeError, ValueError):
        raise NotFoundError(CHANNEL_NOT_FOUND) from None
    channel = channel_visible_queryset(user=user).filter(pk=pk).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    return channel


def channels_bound_account_ids() -> set:
    """The ids of the YouTube accounts bound to a channel (any owner, any status)."""
    return set(Channel.objects.filter(youtube_account__isnull=False).values_list("youtube_account_id", flat=True))


def channel_event_list(*, user, channel_id, kind: str | None = None) -> QuerySet[ChannelEvent]:
    """The history of one of the caller's channels, newest first, optionally of one ``kind``.
    NotFoundError "Channel not found" for a channel the caller may not see."""
    channel = channel_get(user=user, channel_id=channel_id)
    events = ChannelEvent.objects.filter(channel_id=channel.pk)
    if kind:
        events = events.filter(kind=kind)
    return events.order_by("-at", "-id")
