"""Channels: create within the owner's channel limit, update, status changes, soft/hard delete, automation.

Where a channel stops producing (archived, suspended, automation paused over the plan limit) the
service sends ``channels.signals.channel_stopped`` inside its transaction; the videos app reacts.
Every status or automation change is also recorded as a ChannelEvent the owner can read.
"""

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from ytempire.core.exceptions import ConflictError, PermissionDeniedError

from ..models import Channel, ChannelStatus
from ..signals import channel_stopped
from .events import channel_event_record

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


def connect_first_message(channel: Channel) -> str:
    """The 409 for activating a channel that was never connected: says how to connect it."""
    return f"Connect the YouTube channel first (POST /api/v1/channels/{channel.pk}/youtube/connect)."


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


def _lock_owner(*, user_id) -> User:
    """Lock the owner's row. Lock order is always owner, then channels (as channel_enforce_limit)."""
    return User.objects.select_for_update().only("id", "tier", "channel_limit").get(pk=user_id)


def _actor_label(*, actor, channel: Channel) -> str:
    """Who changed a channel through the API, for the event's ``actor`` (no email)."""
    if actor is None:
        return ""
    if getattr(actor, "pk", None) == channel.user_id:
        return "owner"
    if getattr(actor, "is_platform_admin", False):
        return f"role admin {actor.pk}"
    return f"user {getattr(actor, 'pk', '')}".strip()


def _check_automation_allowed(*, channel: Channel, owner: User) -> None:
    """Automation runs on at most ``owner.channel_limit`` non-archived channels (callers hold the owner lock),
    so turning it back on cannot undo the pause channel_enforce_limit applied after a downgrade."""
    if channel.status == ChannelStatus.ARCHIVED:
        raise ConflictError("An archived channel cannot run automation.")
    running = (
        Channel.objects.filter(user_id=owner.pk, automation_enabled=True)
        .exclude(status__in=UNCOUNTED_STATUSES)
        .exclude(pk=channel.pk)
        .count()
    )
    if running >= owner.channel_limit:
        upgrade = next_tier_label(tier=owner.tier, channel_limit=owner.channel_limit)
        advice = f"upgrade to {upgrade} plan" if upgrade else "contact support"
        raise ChannelLimitError(
            f"Automation already runs on {running} channels, your plan's channel limit ({owner.channel_limit}). "
            f"Pause it on another channel or {advice}."
        )


def _apply_automation(*, channel: Channel, enabled: bool, reason: str, actor: str) -> bool:
    """Set automation on the locked ``channel`` (not saved) and record the event; False if unchanged."""
    if channel.automation_enabled == enabled:
        return False
    channel.automation_enabled = enabled
    metadata = dict(channel.metadata)
    if enabled:
        metadata.pop("automation_paused_reason", None)
        metadata.pop("automation_paused_at", None)
    else:
        metadata["automation_paused_reason"] = reason or "disabled"
        metadata["automation_paused_at"] = timezone.now().isoformat()
    channel.metadata = metadata
    state = "on" if enabled else "off"
    channel_event_record(
        channel_id=channel.pk,
        kind=f"automation_{state}",
        reason=f"Automation turned {state} ({reason})." if reason else f"Automation turned {state}.",
        actor=actor,
    )
    return True


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
    with transaction.atomic():
        owner = _lock_owner(user_id=user.pk)
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
    active/paused (pending_oauth may go to paused); role admin may set any status, except that
    nobody activates a channel that was never connected (409, "connect first"). Suspending,
    archiving and reactivating a suspended channel go through channel_suspend / channel_archive /
    channel_reactivate. Turning automation on respects the plan's channel limit. Status and
    automation changes are recorded as events. Locks the owner (when enabling automation) and the channel.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    data = dict(data)
    with transaction.atomic():
        owner = _lock_owner(user_id=channel.user_id) if data.get("automation_enabled") is True else None
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        label = _actor_label(actor=actor, channel=locked)
        by = "by the owner" if label == "owner" else "by role admin"
        then = None
        status_event = None
        if "status" in data and data["status"] != locked.status:
            to_status = data["status"]
            _check_status_change(channel=locked, to_status=to_status, actor=actor)
            if to_status == ChannelStatus.SUSPENDED:
                then = partial(channel_suspend, reason=f"suspended {by}", actor=label)
            elif to_status == ChannelStatus.ARCHIVED:
                then = partial(channel_archive, reason=f"archived {by}", actor=label)
            elif locked.status == ChannelStatus.SUSPENDED and to_status == ChannelStatus.ACTIVE:
                then = partial(channel_reactivate, actor=label)
            else:
                status_event = _status_event(from_status=locked.status, to_status=to_status, by=by)
        if then is not None:
            del data["status"]
        if "automation_enabled" in data:
            enabled = data.pop("automation_enabled")
            if enabled and owner is not None and not locked.automation_enabled:
                _check_automation_allowed(channel=locked, owner=owner)
            why = f"{'enabled' if enabled else 'disabled'} {by}"
            if _apply_automation(channel=locked, enabled=enabled, reason=why, actor=label):
                data.update(automation_enabled=enabled, metadata=locked.metadata)
        for field, value in data.items():
            if field in ("name", "niche") and isinstance(value, str):
                value = value.strip()
            setattr(locked, field, value)
        locked.full_clean(exclude=["user", "youtube_account"])
        if data:
            locked.save(update_fields=sorted({*data, "updated_at"}))
        if status_event is not None:
            channel_event_record(channel_id=locked.pk, actor=label, **status_event)
        if then is not None:
            locked = then(channel=locked)
    return locked


def _status_event(*, from_status: str, to_status: str, by: str) -> dict:
    if to_status == ChannelStatus.PAUSED:
        kind, sentence = "paused", f"Channel paused {by}."
    elif to_status == ChannelStatus.ACTIVE:
        kind = "resumed" if from_status == ChannelStatus.PAUSED else "activated"
        sentence = f"Channel {kind} {by}."
    else:
        kind, sentence = "status_changed", f"Status set to {to_status} {by}."
    return {"kind": kind, "reason": sentence, "data": {"from": from_status, "to": to_status}}


def _check_status_change(*, channel: Channel, to_status: str, actor) -> None:
    if to_status not in ChannelStatus.values:
        raise ValidationError({"status": [f"Unknown channel status '{to_status}'."]})
    if channel.status == ChannelStatus.PENDING_OAUTH and to_status == ChannelStatus.ACTIVE and not channel.is_connected:
        # A channel becomes active by being bound to its YouTube channel (channel_bind), for everyone.
        raise ConflictError(connect_first_message(channel))
    if getattr(actor, "is_platform_admin", False):
        return
    if to_status not in USER_SETTABLE_STATUSES:
        raise ValidationError({"status": ["Status can only be set to active or paused."]})
    allowed_from = {
        ChannelStatus.ACTIVE: {ChannelStatus.PAUSED, ChannelStatus.PENDING_OAUTH},
        ChannelStatus.PAUSED: {ChannelStatus.ACTIVE},
    }
    if channel.status not in allowed_from[to_status]:
        raise ConflictError(f"A {channel.status} channel cannot be set to {to_status}.")


def _stopped(*, channel: Channel, reason: str) -> None:
    channel_stopped.send(sender=Channel, channel_id=channel.pk, reason=reason)


def channel_archive(*, channel: Channel, reason: str = "archived", actor: str = "") -> Channel:
    """Soft delete: status archived and automation off, event "archived", and ``channel_stopped``
    ("channel archived: <reason>") is sent so the channel's unfinished videos are cancelled. Locks the channel.

    Repeating it on an archived channel writes nothing new but sends the signal again (harmless when
    nothing is left unfinished; it stops what rows archived by older code left running).
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.status != ChannelStatus.ARCHIVED or locked.automation_enabled:
            if locked.status != ChannelStatus.ARCHIVED:
                locked.metadata = {
                    **locked.metadata,
                    "archived_reason": reason,
                    "archived_at": timezone.now().isoformat(),
                }
                channel_event_record(
                    channel_id=locked.pk,
                    kind="archived",
                    reason=f"Channel archived ({reason}).",
                    data={"from": locked.status},
                    actor=actor,
                )
            locked.status = ChannelStatus.ARCHIVED
            locked.automation_enabled = False
            locked.save(update_fields=["status", "automation_enabled", "metadata", "updated_at"])
        _stopped(channel=locked, reason=f"channel archived: {reason}")
    logger.info("channel archived", extra={"channel_id": str(locked.pk)})
    return locked


def channel_suspend(*, channel: Channel, reason: str, actor: str = "") -> Channel:
    """Staff stop a channel: status suspended (automation setting kept for reactivation), the status it
    had is remembered, event "suspended", and ``channel_stopped`` ("channel suspended: <reason>") is sent.
    An archived channel cannot be suspended (ConflictError). Locks the channel; repeating it only resends
    the signal.
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.status == ChannelStatus.ARCHIVED:
            raise ConflictError("An archived channel cannot be suspended.")
        if locked.status != ChannelStatus.SUSPENDED:
            channel_event_record(
                channel_id=locked.pk,
                kind="suspended",
                reason=f"Channel suspended ({reason}).",
                data={"from": locked.status},
                actor=actor,
            )
            locked.metadata = {
                **locked.metadata,
                "suspended_reason": reason,
                "suspended_at": timezone.now().isoformat(),
                "suspended_from": locked.status,
            }
            locked.status = ChannelStatus.SUSPENDED
            locked.save(update_fields=["status", "metadata", "updated_at"])
        _stopped(channel=locked, reason=f"channel suspended: {reason}")
    logger.info("channel suspended", extra={"channel_id": str(locked.pk)})
    return locked


def channel_reactivate(*, channel: Channel, actor: str = "") -> Channel:
    """Suspended or paused -> active, event "reactivated". A channel suspended while still
    pending_oauth (and not connected since) goes back to pending_oauth: a channel becomes active only
    when bound to its YouTube channel. An active channel is left as it is. Refused (ConflictError) for
    pending_oauth ("connect first") and archived. Locks the channel.
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.status == ChannelStatus.ACTIVE:
            return locked
        if locked.status == ChannelStatus.ARCHIVED:
            raise ConflictError("An archived channel cannot be reactivated.")
        if locked.status == ChannelStatus.PENDING_OAUTH:
            raise ConflictError(connect_first_message(locked))
        from_status, to_status = locked.status, ChannelStatus.ACTIVE
        metadata = dict(locked.metadata)
        if locked.status == ChannelStatus.SUSPENDED:
            if metadata.get("suspended_from") == ChannelStatus.PENDING_OAUTH and not locked.is_connected:
                to_status = ChannelStatus.PENDING_OAUTH
            for key in ("suspended_reason", "suspended_at", "suspended_from"):
                metadata.pop(key, None)
        metadata["reactivated_at"] = timezone.now().isoformat()
        locked.status = to_status
        locked.metadata = metadata
        locked.save(update_fields=["status", "metadata", "updated_at"])
        channel_event_record(
            channel_id=locked.pk,
            kind="reactivated",
            reason="Channel reactivated."
            if to_status == ChannelStatus.ACTIVE
            else "Channel reactivated; it becomes active once its YouTube channel is connected.",
            data={"from": from_status, "to": to_status},
            actor=actor,
        )
    logger.info("channel reactivated", extra={"channel_id": str(locked.pk), "status": to_status})
    return locked


def channel_delete(*, channel: Channel, actor: str = "") -> str:
    """Delete a channel: soft ("archived", through channel_archive) when it has published videos or
    videos with recorded costs (the ledger is never erased), hard ("deleted") otherwise. Returns which.
    """
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        keep = locked.videos.filter(Q(published_at__isnull=False) | Q(costs__isnull=False)).exists()
        if keep:
            channel_archive(
                channel=locked, reason="deleted by owner; has published videos or recorded costs", actor=actor
            )
            return "archived"
        locked.delete()
    return "deleted"


def channel_set_automation(*, channel: Channel, enabled: bool, reason: str = "", actor: str = "") -> Channel:
    """Turn automation (the scheduled production of new videos) on or off; event "automation_on" /
    "automation_off" when it changes. Videos already under way continue either way: turning it off
    stops scheduling, not production, so no channel_stopped. Turning it on respects the plan's channel
    limit and is refused for an archived channel. Locks the owner (when enabling) and the channel.
    """
    with transaction.atomic():
        owner = _lock_owner(user_id=channel.user_id) if enabled else None
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if owner is not None and not locked.automation_enabled:
            _check_automation_allowed(channel=locked, owner=owner)
        if _apply_automation(channel=locked, enabled=enabled, reason=reason, actor=actor):
            locked.save(update_fields=["automation_enabled", "metadata", "updated_at"])
    return locked


def channel_enforce_limit(*, user) -> int:
    """Pause automation on the user's channels beyond ``user.channel_limit`` (after a tier change).

    The oldest ``channel_limit`` non-archived channels keep their automation; newer ones get
    automation_enabled=False, the reason in metadata (never deleted) and the event
    "plan_limit_paused", and ``channel_stopped`` ("automation paused: channel limit (N) exceeded after
    plan change") is sent for each, so their unfinished videos stop too. Locks the user, then the
    channels. Returns how many were paused by this call; idempotent. Runs on every
    ``accounts.signals.tier_changed`` (channels.receivers).
    """
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
            channel_event_record(
                channel_id=channel.pk,
                kind="plan_limit_paused",
                reason=f"Automation paused: your plan allows automation on {owner.channel_limit} channels.",
                data={"channel_limit": owner.channel_limit},
                actor="plan change",
            )
            _stopped(channel=channel, reason=f"automation paused: {reason}")
            paused += 1
    if paused:
        logger.info("channels paused over the channel limit", extra={"user_id": str(user.pk), "paused": paused})
    return paused
