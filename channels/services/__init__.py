"""Channel writes. ``lifecycle``: create, update, status, delete, automation, the plan limit;
``binding``: a channel is one YouTube channel (bind, unbind, account-state flags); ``events``: the
channel's history (the one door that writes ChannelEvent); ``stats``: its YouTube figures (views,
subscribers, revenue), written by the stats sync."""

from .binding import channel_bind, channel_unbind, channel_youtube_flag
from .events import channel_event_record
from .lifecycle import (
    UNCOUNTED_STATUSES,
    UPDATABLE_FIELDS,
    USER_SETTABLE_STATUSES,
    ChannelLimitError,
    channel_archive,
    channel_count_for_limit,
    channel_create,
    channel_delete,
    channel_enforce_limit,
    channel_limit_message,
    channel_reactivate,
    channel_set_automation,
    channel_suspend,
    channel_update,
    connect_first_message,
    next_tier_label,
)
from .stats import channel_revenue_set, channel_stats_set

__all__ = [
    "UNCOUNTED_STATUSES",
    "UPDATABLE_FIELDS",
    "USER_SETTABLE_STATUSES",
    "ChannelLimitError",
    "channel_archive",
    "channel_bind",
    "channel_count_for_limit",
    "channel_create",
    "channel_delete",
    "channel_enforce_limit",
    "channel_event_record",
    "channel_limit_message",
    "channel_reactivate",
    "channel_revenue_set",
    "channel_set_automation",
    "channel_stats_set",
    "channel_suspend",
    "channel_unbind",
    "channel_update",
    "channel_youtube_flag",
    "connect_first_message",
    "next_tier_label",
]
