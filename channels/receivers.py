"""Channels' reactions to lower apps' domain events (connected in ChannelsConfig.ready())."""

from .services import channel_enforce_limit


def enforce_limit_on_tier_change(sender, *, user, old_tier, new_tier, **kwargs) -> None:
    """A tier change from anywhere (billing, admin, command) pauses the channels over the new limit."""
    channel_enforce_limit(user=user)
