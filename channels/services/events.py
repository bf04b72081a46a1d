"""A channel's history: the one door that writes ChannelEvent rows.

The owner reads these through the API, so whatever a caller passes, an event never carries an
email address, an OAuth token or a server path: they are replaced by ``[email]``, ``[token]`` and
``[path]``, and data keys that name secrets (token, password, email...) are dropped.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from ..models import ChannelEvent

MAX_REASON = 500
MAX_ACTOR = 100
MAX_DATA_DEPTH = 4

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Google access tokens (ya29.), refresh tokens (1//), authorisation codes (4/), bearer values, JWTs.
_TOKEN = re.compile(
    r"(?:\bya29\.[\w.~+/=-]+|(?<![\w/])1//[\w.~+/=-]+|(?<![\w/])4/[\w.~+/=-]{10,}"
    r"|\bBearer\s+[\w.~+/=-]+|\beyJ[\w-]+\.[\w-]+\.[\w-]*)"
)
_SERVER_ROOTS = ("home", "root", "tmp", "var", "usr", "opt", "srv", "app", "etc", "mnt", "data", "work", "private")
_PATH = re.compile(r"(?<![\w.:/])/(?:" + "|".join(_SERVER_ROOTS) + r")(?:/[^\s'\"<>,;)]*)?")
_SECRET_KEY = re.compile(r"email|token|secret|password|passwd|credential|authori[sz]ation|cookie|api_?key", re.I)


def _configured_roots() -> list[str]:
    roots = [getattr(settings, "BASE_DIR", ""), getattr(settings, "STORAGE_BASE_PATH", ""), settings.MEDIA_ROOT]
    return sorted({str(root) for root in roots if root and len(str(root)) > 1}, key=len, reverse=True)


def scrub_text(text: str) -> str:
    """``text`` without emails, tokens or server paths."""
    text = str(text)
    for root in _configured_roots():
        text = text.replace(root, "[path]")
    text = _TOKEN.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    return _PATH.sub("[path]", text)


def _scrub_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        if depth >= MAX_DATA_DEPTH:
            return {}
        return {
            scrub_text(key): _scrub_value(item, depth + 1)
            for key, item in value.items()
            if not _SECRET_KEY.search(str(key))
        }
    if isinstance(value, list | tuple):
        return [_scrub_value(item, depth + 1) for item in value] if depth < MAX_DATA_DEPTH else []
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def channel_event_record(
    *, channel_id, kind: str, reason: str, data: dict | None = None, actor: str = ""
) -> ChannelEvent:
    """Append one event to the channel's history and return it.

    ``kind`` is a short code (``youtube_connected``, ``archived``...; ValidationError otherwise);
    ``reason`` a sentence (clipped to 500 characters); ``data`` a JSON object; ``actor`` who acted
    (kept for staff, never shown to customers). Emails, tokens and server paths are scrubbed from
    all of them. Runs in the caller's transaction (the status services call it under their lock).
    """
    if data is not None and not isinstance(data, Mapping):
        raise ValidationError({"data": ["Event data must be a JSON object."]})
    event = ChannelEvent(
        channel_id=channel_id,
        kind=kind,
        reason=_clip(scrub_text(reason or "").strip(), MAX_REASON),
        data=_scrub_value(dict(data or {})),
        actor=_clip(scrub_text(actor or "").strip(), MAX_ACTOR),
    )
    event.full_clean(exclude=["channel"])
    event.save()
    return event
