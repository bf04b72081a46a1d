"""Domain events of channels. Higher apps (videos) connect receivers in their AppConfig.ready()."""

from django.dispatch import Signal

# A channel stopped producing videos: archived (``channel_archive``, also reached from
# ``channel_delete`` and a role-admin API status change), suspended (``channel_suspend``), or its
# automation paused because it is over its owner's channel limit (``channel_enforce_limit``).
# Sent by that service inside its transaction, sender=Channel; kwargs: ``channel_id`` (UUID) and
# ``reason`` (a sentence fit for a video's event history, e.g. "channel archived: deleted by owner").
# The videos app cancels the channel's unfinished videos (which gives back their cost holds).
channel_stopped = Signal()
