"""Channels: create within the owner's channel limit, update, soft/hard delete, automation."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ytempire.core.exceptions import ConflictError, PermissionDeniedError

from .models import Channel, ChannelStatus

logger = logging.getLogger(__name__)

# Statuses a customer may set through the API; the rest belong to OAuth, staff and delete.
USER_SETTABLE_STATUSES = frozenset({ChannelStatus.ACTIVE, ChannelStatus.PAUSED})
# Statuses that do not take a slot of the channel limit (soft-deleted channels).
UNCOUNTED_STATUSES = frozenset({ChannelStatus.ARCHIVED})
UPDATABLE_FIELDS = frozenset(
    {"name", "description", "niche", "status", "automation_enabled", "daily_video_limit", "upload_time_utc", "settings"}
)


class ChannelLimitError(PermissionDeniedError):
    """403 "Channel limit reached (N). Upgrade to <tier> plan for more channels." """


def next_tier_label(*, tier: str, channel_limit: int) -> str | None:
    """The first tier after ``tier`` in settings.TIERS order whose channel_limit is higher."""
    names = list(settings.TIERS)
    later = names[names.index(tier) + 1 :] if tier in names else names
    for name in later:
        if settings.TIERS[name]["channel_limit"] > channel_limit:
            return settings.TIERS[name].get("label", name.title())
    return None


def channel_limit_message(*, tier: str, channel_limit: int) -> str:
    upgrade = next_tier_label(tier=tier, channel_limit=channel_limit)
    if upgrade is None:
        return f"Channel limit reached ({channel_limit}). Contact support for more channels."
    return f"Channel limit reached ({channel_limit}). Upgrade to {upgrade} plan for more channels."


def channel_count_for_limit(*, user_id) -> int:
    return Channel.objects.filter(user_id=user_id).exclude(status__in=UNCOUNTED_STATUSES).count()


def channel_create(
    *,
    user,
    name: str,
    niche: str,
    description: str = "",
    automation_enabled: bool = True,
    daily_video_limit: int = 5,
    upload_time_utc: str = "",
    settings: dict | None = None,
) -> Channel:
    """Create a channel (status pending_oauth) if the owner is below their channel limit.

    The owner's row is locked (SELECT ... FOR UPDATE) before counting, and the count and the
    insert share one transaction, so of two concurrent creates for the last slot exactly one
    succeeds; the other gets ChannelLimitError (403). Archived channels do not count.
    """
    from accounts.models import User

    with transaction.atomic():
        owner = User.objects.select_for_update().only("id", "tier", "channel_limit").get(pk=user.pk)
        if channel_count_for_limit(user_id=owner.pk) >= owner.channel_limit:
            raise ChannelLimitError(channel_limit_message(tier=owner.tier, channel_limit=owner.channel_limit))
        channel = Channel(
            user_id=owner.pk,
            name=name.strip(),
            niche=niche.strip(),
            description=description,
            automation_enabled=automation_enabled,
            daily_video_limit=daily_video_limit,
            upload_time_utc=upload_time_utc,
            settings=settings or {},
            status=ChannelStatus.PENDING_OAUTH,
        )
        channel.full_clean(exclude=["user", "youtube_account"])
        channel.save()
    logger.info("channel created", extra={"channel_id": str(channel.pk)})
    return channel


def channel_update(*, channel: Channel, actor, data: dict[str, Any]) -> Channel:
    """Apply a partial update. Customers may set status only to active or paused, and only from
    active/paused (pending_oauth may go to paused); role admin may set any status. Locks the row.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if "status" in data and data["status"] != locked.status:
            _check_status_change(channel=locked, to_status=data["status"], actor=actor)
        for field, value in data.items():
            if field in ("name", "niche") and isinstance(value, str):
                value = value.strip()
            setattr(locked, field, value)
        locked.full_clean(exclude=["user", "youtube_account"])
        locked.save(update_fields=sorted({*data, "updated_at"}))
    return locked


def _check_status_change(*, channel: Channel, to_status: str, actor) -> None:
    if to_status not in ChannelStatus.values:
        raise ValidationError({"status": [f"Unknown channel status '{to_status}'."]})
    if getattr(actor, "is_platform_admin", False):
        return
    if to_status not in USER_SETTABLE_STATUSES:
        raise ValidationError({"status": ["Status can only be set to active or paused."]})
    allowed_from = {
        ChannelStatus.ACTIVE: {ChannelStatus.PAUSED},
        ChannelStatus.PAUSED: {ChannelStatus.ACTIVE},
    }
    if channel.status not in allowed_from[to_status]:
        if channel.status == ChannelStatus.PENDING_OAUTH:
            raise ConflictError("Connect the YouTube channel (OAuth) before activating it.")
        raise ConflictError(f"A {channel.status} channel cannot be set to {to_status}.")


def _cancel_active_videos(*, channel: Channel, reason: str) -> int:
    from videos.models import Video, VideoStatus
    from videos.services import ACTIVE_STATUSES, InvalidTransitionError, video_transition

    cancelled = 0
    for video in Video.objects.filter(channel_id=channel.pk, status__in=ACTIVE_STATUSES).only("id"):
        try:
            video_transition(video=video, to_status=VideoStatus.CANCELLED, reason=reason)
            cancelled += 1
        except InvalidTransitionError:  # moved on meanwhile
            continue
    return cancelled


def channel_archive(*, channel: Channel, reason: str = "archived") -> Channel:
    """Soft delete: status archived, automation off, its unfinished videos cancelled."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        locked.status = ChannelStatus.ARCHIVED
        locked.automation_enabled = False
        locked.metadata = {**locked.metadata, "archived_reason": reason, "archived_at": timezone.now().isoformat()}
        locked.save(update_fields=["status", "automation_enabled", "metadata", "updated_at"])
        _cancel_active_videos(channel=locked, reason=f"channel archived: {reason}")
    return locked


def channel_delete(*, channel: Channel) -> str:
    """Delete a channel: soft ("archived") when it has published videos or videos with recorded
    costs (the ledger is never erased), hard ("deleted") otherwise. Returns which.
    """
    from django.db.models import Q

    from videos.models import Video, VideoStatus

    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        keep = (
            Video.objects.filter(channel_id=locked.pk)
            .filter(Q(status=VideoStatus.PUBLISHED) | Q(costs__isnull=False))
            .exists()
        )
        if keep:
            channel_archive(channel=locked, reason="deleted by owner; has published videos")
            return "archived"
        locked.delete()
    return "deleted"


def channel_set_automation(*, channel: Channel, enabled: bool, reason: str = "") -> Channel:
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        locked.automation_enabled = enabled
        metadata = dict(locked.metadata)
        if enabled:
            metadata.pop("automation_paused_reason", None)
        else:
            metadata["automation_paused_reason"] = reason or "disabled"
        locked.metadata = metadata
        locked.save(update_fields=["automation_enabled", "metadata", "updated_at"])
    return locked


def channel_enforce_limit(*, user) -> int:
    """After a downgrade: pause automation on the user's channels beyond ``user.channel_limit``.

    The oldest ``channel_limit`` non-archived channels keep their automation; newer ones get
    automation_enabled=False and the reason in metadata (never deleted). Locks the user and the
    channels. Returns how many channels were paused by this call.
    """
    from accounts.models import User

    with transaction.atomic():
        owner = User.objects.select_for_update().only("id", "channel_limit").get(pk=user.pk)
        channels = list(
            Channel.objects.select_for_update()
            .filter(user_id=owner.pk)
            .exclude(status__in=UNCOUNTED_STATUSES)
            .order_by("created_at", "id")
        )
        paused = 0
        reason = f"channel limit ({owner.channel_limit}) exceeded after plan change"
        for channel in channels[owner.channel_limit :]:
            if not channel.automation_enabled:
                continue
            channel.automation_enabled = False
            channel.metadata = {
                **channel.metadata,
                "automation_paused_reason": reason,
                "automation_paused_at": timezone.now().isoformat(),
            }
            channel.save(update_fields=["automation_enabled", "metadata", "updated_at"])
            paused += 1
    if paused:
        logger.info("channels paused after downgrade", extra={"user_id": str(user.pk), "paused": paused})
    return paused
