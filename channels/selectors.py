"""Channel reads. A customer sees only their channels; role admin sees all."""

import uuid

from django.db.models import QuerySet

from ytempire.core.exceptions import NotFoundError

from .models import Channel

CHANNEL_NOT_FOUND = "Channel not found"


def channel_visible_queryset(*, user) -> QuerySet[Channel]:
    qs = Channel.objects.all()
    return qs if user.is_platform_admin else qs.filter(user_id=user.pk)


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
