"""A channel is one YouTube channel: binding it to its YouTube account, unbinding it, flagging its state.

channels does not know youtube_pool: callers (videos.publishing) pass the account's id and its
YouTube channel id/handle. The database backs every rule here: one channel per account (partial
unique constraint), one channel per YouTube channel id (unique), and a bound channel has a YouTube
channel id (check constraint).
"""

import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from ytempire.core.exceptions import ConflictError, NotFoundError

from ..models import Channel, ChannelEvent, ChannelStatus
from ..ports import ACCOUNT_STATES
from .events import channel_event_record

logger = logging.getLogger(__name__)

CHANNEL_NOT_FOUND = "Channel not found"
TAKEN = "This YouTube channel is already connected to another channel on the platform."
UNBINDABLE = {
    ChannelStatus.ARCHIVED: "An archived channel cannot be connected to YouTube.",
    ChannelStatus.SUSPENDED: "A suspended channel cannot be connected to YouTube; reactivate it first.",
}
BINDING_FIELDS = ["youtube_account", "youtube_channel_id", "youtube_channel_handle"]
# The account-state events of channel_youtube_flag, and the binding events that reset their sequence.
FLAG_KINDS = tuple(f"youtube_{state}" for state in ACCOUNT_STATES)
YOUTUBE_STATE_KINDS = (*FLAG_KINDS, "youtube_connected", "youtube_disconnected")


def _uuid(value, *, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError({field: ["Must be a valid UUID."]}) from None


def _lock_channel(channel_id) -> Channel:
    try:
        pk = _uuid(channel_id, field="channel_id")
    except ValidationError:
        raise NotFoundError(CHANNEL_NOT_FOUND) from None
    channel = Channel.objects.select_for_update().filter(pk=pk).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    return channel


def _save_binding(channel: Channel, fields: list[str]) -> None:
    # Uniqueness was checked under the channel's lock; a concurrent bind of the same account or YouTube
    # channel to another channel is stopped by the constraints and answered like the check (409).
    channel.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            channel.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise ConflictError(TAKEN) from None


def channel_bind(*, channel_id, account_id, youtube_channel_id: str, handle: str, actor: str = "") -> Channel:
    """Bind the channel to a YouTube account: sets youtube_account, youtube_channel_id and
    youtube_channel_handle, moves pending_oauth -> active (active and paused keep their status), and
    records "youtube_connected". Locks the channel row; one transaction.

    Refused with ConflictError (409): an archived or suspended channel; a channel already bound to a
    different account (disconnect first); an account or YouTube channel already bound to another
    channel (checked under the lock, backed by the constraints: of two concurrent binds of one account
    exactly one wins). Binding the same account again is idempotent (only a changed handle is saved,
    no event). NotFoundError for an unknown channel; ValidationError for an unknown account or an
    empty YouTube channel id.
    """
    account_pk = _uuid(account_id, field="account_id")
    youtube_channel_id = (youtube_channel_id or "").strip()
    handle = (handle or "").strip()
    if not youtube_channel_id:
        raise ValidationError({"youtube_channel_id": ["A channel is bound to a YouTube channel id; none was given."]})
    with transaction.atomic():
        locked = _lock_channel(channel_id)
        if locked.status in UNBINDABLE:
            raise ConflictError(UNBINDABLE[locked.status])
        rebinding = locked.youtube_account_id == account_pk
        if locked.youtube_account_id is not None and not rebinding:
            raise ConflictError(
                "This channel is already connected to another YouTube channel; disconnect it before connecting another."
            )
        if rebinding and locked.youtube_channel_id != youtube_channel_id:
            raise ConflictError(
                "This channel's account now reports another YouTube channel; disconnect it and connect again."
            )
        taken = (
            Channel.objects.filter(Q(youtube_account_id=account_pk) | Q(youtube_channel_id=youtube_channel_id))
            .exclude(pk=locked.pk)
            .exists()
        )
        if taken:
            raise ConflictError(TAKEN)
        if rebinding:
            if locked.youtube_channel_handle != handle:
                locked.youtube_channel_handle = handle
                _save_binding(locked, ["youtube_channel_handle"])
            return locked
        from_status = locked.status
        locked.youtube_account_id = account_pk
        locked.youtube_channel_id = youtube_channel_id
        locked.youtube_channel_handle = handle
        fields = list(BINDING_FIELDS)
        if locked.status == ChannelStatus.PENDING_OAUTH:
            locked.status = ChannelStatus.ACTIVE
            fields.append("status")
        _save_binding(locked, fields)
        channel_event_record(
            channel_id=locked.pk,
            kind="youtube_connected",
            reason=f"Connected to the YouTube channel {handle or youtube_channel_id}.",
            data={
                "youtube_channel_id": youtube_channel_id,
                "handle": handle,
                "from": from_status,
                "to": locked.status,
            },
            actor=actor,
        )
    logger.info("channel bound", extra={"channel_id": str(locked.pk), "account_id": str(account_pk)})
    return locked


def channel_unbind(*, channel_id, reason: str, actor: str = "") -> Channel:
    """Unbind the channel from its YouTube account: clears youtube_account, youtube_channel_id and
    youtube_channel_handle (the status is unchanged; its videos wait until it is connected again) and
    records "youtube_disconnected" with ``reason``. Locks the channel row. An unbound channel is left
    as it is (no event). NotFoundError for an unknown channel.
    """
    with transaction.atomic():
        locked = _lock_channel(channel_id)
        if (
            locked.youtube_account_id is None
            and locked.youtube_channel_id is None
            and not locked.youtube_channel_handle
        ):
            return locked
        previous = {"youtube_channel_id": locked.youtube_channel_id, "handle": locked.youtube_channel_handle}
        locked.youtube_account = None
        locked.youtube_channel_id = None
        locked.youtube_channel_handle = ""
        _save_binding(locked, BINDING_FIELDS)
        reason = (reason or "").strip()
        channel_event_record(
            channel_id=locked.pk,
            kind="youtube_disconnected",
            reason=f"Disconnected from YouTube ({reason})." if reason else "Disconnected from YouTube.",
            data=previous,
            actor=actor,
        )
    logger.info("channel unbound", extra={"channel_id": str(locked.pk)})
    return locked


def channel_youtube_flag(*, channel_id, state: str, reason: str) -> ChannelEvent | None:
    """Record that the channel's YouTube account changed state, as event "youtube_<state>" (state in
    ok, resting, needs_reconnect, deactivated) the owner sees; nothing else is written. Under the
    channel's lock, a state equal to the last one recorded since the last connect/disconnect is not
    recorded again (returns None), so a storm of identical account events stays one line of history.
    """
    if state not in ACCOUNT_STATES:
        raise ValidationError(
            {"state": [f"Unknown account state '{state}'; expected one of {', '.join(ACCOUNT_STATES)}."]}
        )
    kind = f"youtube_{state}"
    with transaction.atomic():
        locked = _lock_channel(channel_id)
        last = (
            ChannelEvent.objects.filter(channel_id=locked.pk, kind__in=YOUTUBE_STATE_KINDS)
            .order_by("-at", "-id")
            .values_list("kind", flat=True)
            .first()
        )
        if last == kind:
            return None
        return channel_event_record(channel_id=locked.pk, kind=kind, reason=reason, data={"state": state})
