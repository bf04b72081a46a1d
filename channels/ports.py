"""Ports: what channels needs from apps it may not import.

The ``youtube`` object of the channel API describes the channel's YouTube account (its state, its
uploads today). channels cannot read youtube_pool, so it asks a provider that a higher app (videos)
registers at start-up with ``register_youtube_summary``. The provider gets the bound channels of a
whole response at once and answers in one query; this module keeps to the documented shape, so
nothing else (an email, a token, another account) can reach the API through it.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .models import Channel

logger = logging.getLogger(__name__)

ACCOUNT_STATES = ("ok", "resting", "needs_reconnect", "deactivated")
SUMMARY_FIELDS = ("connected", "channel_id", "handle", "account_state", "uploads_today", "upload_cap")

YouTubeSummaryProvider = Callable[[list[Channel]], Mapping[Any, Mapping[str, Any]]]

_provider: YouTubeSummaryProvider | None = None


def not_connected() -> dict[str, Any]:
    """The ``youtube`` object of a channel that is not connected (or when no provider is registered)."""
    return {
        "connected": False,
        "channel_id": None,
        "handle": "",
        "account_state": None,
        "uploads_today": 0,
        "upload_cap": 0,
    }


def register_youtube_summary(fn: YouTubeSummaryProvider | None) -> YouTubeSummaryProvider | None:
    """Register the provider of ``youtube`` objects (``None`` unregisters); returns the previous one,
    so a test can put it back.

    The provider is called as ``fn(channels)`` with the bound channels of one response (a list of
    Channel) and returns ``{channel.pk: {"connected", "channel_id", "handle", "account_state",
    "uploads_today", "upload_cap"}}``, reading all of them in one query.
    """
    global _provider
    previous, _provider = _provider, fn
    return previous


def youtube_summaries(channels: Iterable[Channel]) -> dict[Any, dict[str, Any]]:
    """``{channel.pk: youtube object}`` for every channel given. Call it once per response.

    The provider is called once with the bound channels (not at all when none is bound). Unbound
    channels, channels the provider leaves out, and every channel when no provider is registered
    get ``not_connected()``. Whatever the provider answers is reduced to the six documented fields.
    """
    channels = list(channels)
    summaries = {channel.pk: not_connected() for channel in channels}
    bound = [channel for channel in channels if channel.youtube_account_id is not None]
    if _provider is None or not bound:
        return summaries
    provided = _provider(bound) or {}
    for channel in bound:
        summary = provided.get(channel.pk)
        if summary:
            summaries[channel.pk] = _documented_shape(summary, channel=channel)
    return summaries


def _documented_shape(summary: Mapping[str, Any], *, channel: Channel) -> dict[str, Any]:
    state = summary.get("account_state")
    if state is not None and state not in ACCOUNT_STATES:
        logger.warning("youtube summary with an unknown account state", extra={"channel_id": str(channel.pk)})
        state = None
    channel_id = summary.get("channel_id")
    return {
        "connected": bool(summary.get("connected")),
        "channel_id": str(channel_id) if channel_id else None,
        "handle": str(summary.get("handle") or ""),
        "account_state": state,
        "uploads_today": _count(summary.get("uploads_today")),
        "upload_cap": _count(summary.get("upload_cap")),
    }


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0
