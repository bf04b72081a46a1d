"""Reactions to the YouTube pool's account events: the bound channel is told (an event its owner
sees), its videos are parked or resumed, and a platform channel may fail over to a reserve."""

import logging

from django.db import transaction
from django.dispatch import receiver

from channels.models import Channel
from channels.services import channel_youtube_flag
from youtube_pool.signals import account_state_changed
from ytempire.core.exceptions import ApplicationError

from .binding import channel_failover
from .waits import channel_videos_resume

logger = logging.getLogger(__name__)

DEAD_STATES = frozenset({"needs_reconnect", "deactivated"})


@receiver(account_state_changed, dispatch_uid="videos.publishing.account_state_changed")
def bound_channel_follows_its_account(sender, *, account_id, state: str, reason: str = "", **kwargs) -> None:
    channel = Channel.objects.filter(youtube_account_id=account_id).only("id", "failover_to_reserve").first()
    if channel is None:
        return
    channel_youtube_flag(channel_id=channel.pk, state=state, reason=reason or state.replace("_", " "))
    channel_id = channel.pk
    if state == "ok":
        # Reconnected (or back from a rest): the videos parked for it go on once this commits.
        transaction.on_commit(lambda: channel_videos_resume(channel_id=channel_id))
    elif state in DEAD_STATES and channel.failover_to_reserve:
        transaction.on_commit(lambda: _failover_quietly(channel_id))


def _failover_quietly(channel_id) -> None:
    """Automatic failover (staff opted this platform channel in); a refusal is logged, not raised:
    the channel's videos keep waiting and staff see the flag."""
    try:
        channel_failover(channel_id=channel_id, actor="automatic failover")
    except ApplicationError as exc:
        logger.warning("automatic failover refused", extra={"channel_id": str(channel_id), "error": exc.message})
