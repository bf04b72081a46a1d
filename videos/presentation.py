"""What a customer is shown of a video's failure and history: a stable code and a sentence.

The pipeline records, for staff, exactly what happened: provider error text, server paths,
which pool account uploaded, n8n execution ids. None of that is the customer's to see (the admin
shows it in full). The API renders through this module instead:

- ``failure_notice(video)``: why a failed video failed, as ``Notice(code, message)``;
- ``event_notice(event)`` / ``event_data(event)``: one history row as a code, a sentence and
  the few data keys a customer may see (steps, percentages, costs as money, YouTube ids);
- ``public_metadata(video)`` / ``public_cost_breakdown(video)``: the safe part of the JSON columns.

Codes are stable API values (clients switch on them); sentences may be reworded. A writer may
set the code itself (``data["code"]`` on an event, ``metadata["failure"]["code"]`` on a failed
video, both a key of ``MESSAGES``); otherwise it is read from the recorded reason, and anything
not recognised gets a generic code and sentence, never the raw text.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ytempire.core.money import money

from .models import OptimizationLevel, Video, VideoEvent, VideoStatus

STEPS = ("start", "script", "voice", "render", "upload")


@dataclass(frozen=True)
class Notice:
    code: str
    message: str


MESSAGES: dict[str, str] = {
    # history
    "queued": "Queued for production.",
    "processing_started": "Production started.",
    "script_written": "Script written.",
    "voice_recorded": "Voice-over recorded.",
    "render_requested": "Rendering started.",
    "render_progress": "Rendering in progress.",
    "render_retrying": "Rendering took too long; trying again.",
    "render_completed": "Video rendered.",
    "upload_started": "Uploading to YouTube.",
    "upload_postponed": "Upload postponed: no upload capacity is left for now.",
    "published": "Published on YouTube.",
    "uploaded_after_stop": "The video reached YouTube after it had been stopped.",
    "waiting_upload_time": "Waiting for the channel's upload time.",
    "waiting_upload_capacity": "Waiting for YouTube upload capacity; it resumes after the daily reset.",
    "waiting_budget": "Paused until the daily cost budget resets.",
    "waiting_connection": "Waiting for the channel to be connected to YouTube.",
    "waiting_reconnection": "Waiting for the channel's YouTube connection to be renewed.",
    "waiting": "Waiting to continue.",
    "resumed": "Resumed after an interruption.",
    "economy_mode": "Switched to economy mode to stay within the cost target.",
    "optimization_level_changed": "The optimization level changed.",
    "priority_changed": "The priority changed.",
    "cancelled": "Cancelled.",
    "cancelled_by_user": "Cancelled at your request.",
    "channel_stopped": "Cancelled because the channel stopped producing videos.",
    "retried": "Queued again for production.",
    "status_changed": "The status changed.",
    "update": "Production update.",
    # failures
    "cost_limit_exceeded": "Stopped: the video reached its cost limit.",
    "render_timeout": "Rendering did not finish in time. You can retry the video.",
    "render_failed": "Rendering failed. You can retry the video.",
    "file_too_large": "The rendered file is larger than the upload limit.",
    "script_failed": "Writing the script failed. You can retry the video.",
    "voice_failed": "Recording the voice-over failed. You can retry the video.",
    "upload_failed": "Uploading to YouTube failed. You can retry the video.",
    "youtube_not_connected": "The channel's YouTube account needs to be reconnected.",
    "processing_failed": "Production failed. You can retry the video.",
}

# (pattern over the recorded reason, code). First match wins; patterns are anchored at the start.
_EVENT_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), code)
    for pattern, code in (
        (r"queued$", "queued"),
        (r"pipeline started", "processing_started"),
        (r"script written", "script_written"),
        (r"voice synthesi[sz]ed", "voice_recorded"),
        (r"render requested", "render_requested"),
        (r"progress:", "render_progress"),
        (r"render timed out \(attempt", "render_retrying"),
        (r"render timed out", "render_timeout"),
        (r"n8n render completed", "render_completed"),
        (r"n8n render failed", "render_failed"),
        (r"upload started", "upload_started"),
        (r"upload postponed|youtube pool exhausted", "upload_postponed"),
        (r"published on youtube", "published"),
        (r"uploaded while", "uploaded_after_stop"),
        (r"waiting: channel upload time", "waiting_upload_time"),
        (r"waiting: the channel is not connected", "waiting_connection"),
        (r"waiting: the channel's youtube connection needs", "waiting_reconnection"),
        (r"waiting: .*(pool|capacity|quota|upload limit)", "waiting_upload_capacity"),
        (r"waiting: .*budget", "waiting_budget"),
        (r"waiting:", "waiting"),
        (r"resumed", "resumed"),
        (r"cost warning", "economy_mode"),
        (r"cost_limit_exceeded|cost limit exceeded|\w+: cost hold refused", "cost_limit_exceeded"),
        (r"cancelled by user", "cancelled_by_user"),
        (r"retry requested", "retried"),
        (r"priority", "priority_changed"),
    )
)

# (pattern over error_message, code) for failed videos whose writer set no code.
_FAILURE_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), code)
    for pattern, code in (
        (r"^render timed out", "render_timeout"),
        (r"^cost limit exceeded|cost hold refused", "cost_limit_exceeded"),
        (r"too large|max_file_size", "file_too_large"),
        (r"reconnect|needs? re-?auth|not (connected|bound)", "youtube_not_connected"),
        (r"^script failed", "script_failed"),
        (r"^voice failed", "voice_failed"),
        (r"^render failed|render failed in n8n", "render_failed"),
        (r"^upload failed", "upload_failed"),
    )
)


def _notice(code: str) -> Notice:
    return Notice(code=code, message=MESSAGES[code])


def _explicit_code(value: Any) -> str | None:
    return value if isinstance(value, str) and value in MESSAGES else None


def _match(rules: Iterable[tuple[re.Pattern, str]], text: str) -> str | None:
    return next((code for pattern, code in rules if pattern.match(text or "")), None)


def event_notice(event: VideoEvent) -> Notice:
    """The code and sentence of one history row (never its recorded reason text)."""
    data = event.data if isinstance(event.data, dict) else {}
    code = _explicit_code(data.get("code")) or _match(_EVENT_RULES, event.reason)
    if code is None:
        if data.get("channel_stopped"):
            code = "channel_stopped"
        elif isinstance(data.get("optimization_level"), dict):
            code = "optimization_level_changed"
        elif event.to_status == VideoStatus.CANCELLED:
            code = "cancelled"
        elif event.to_status == VideoStatus.QUEUED and event.from_status:
            code = "retried"
        elif event.to_status == VideoStatus.FAILED:
            code = "processing_failed"
        elif event.to_status:
            code = "status_changed"
        else:
            code = "update"
    notice = _notice(code)
    percent = data.get("percent")
    if code == "render_progress" and isinstance(percent, int) and not isinstance(percent, bool):
        return Notice(code=code, message=f"Rendering in progress ({max(0, min(100, percent))}%).")
    return notice


def _money_or_none(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return money(amount) if amount.is_finite() and abs(amount) < 10**10 else None


def _level_change(value: Any) -> dict | None:
    if not isinstance(value, dict):
        return None
    change = {k: value.get(k) for k in ("from", "to")}
    return change if all(v in OptimizationLevel.values for v in change.values()) else None


def _int_change(value: Any) -> dict | None:
    if not isinstance(value, dict):
        return None
    change = {k: value.get(k) for k in ("from", "to")}
    return change if all(isinstance(v, int) and not isinstance(v, bool) for v in change.values()) else None


def _iso_datetime(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_YOUTUBE_URL = re.compile(r"^https://(www\.)?(youtube\.com/watch\?v=|youtu\.be/)[A-Za-z0-9_-]{6,20}$")


def event_data(event: VideoEvent) -> dict[str, Any]:
    """The keys of an event's data a customer may see, each checked for its type; the rest (pool
    account ids, server paths, execution ids, provider messages, who did it) is left out."""
    data = event.data if isinstance(event.data, dict) else {}
    shown: dict[str, Any] = {}
    if data.get("step") in STEPS:
        shown["step"] = data["step"]
    for key in ("cost", "total_cost", "estimated_cost", "limit", "amount"):
        amount = _money_or_none(data.get(key))
        if amount is not None:
            shown[key] = amount
    percent = data.get("percent")
    if isinstance(percent, int) and not isinstance(percent, bool) and 0 <= percent <= 100:
        shown["percent"] = percent
    level = data.get("optimization_level")
    if isinstance(level, str) and level in OptimizationLevel.values:
        shown["optimization_level"] = level
    elif _level_change(level):
        shown["optimization_level"] = _level_change(level)
    if _int_change(data.get("priority")):
        shown["priority"] = _int_change(data.get("priority"))
    if _iso_datetime(data.get("until")):
        shown["until"] = data["until"]
    if isinstance(data.get("youtube_video_id"), str) and _YOUTUBE_ID.match(data["youtube_video_id"]):
        shown["youtube_video_id"] = data["youtube_video_id"]
    if isinstance(data.get("youtube_url"), str) and _YOUTUBE_URL.match(data["youtube_url"]):
        shown["youtube_url"] = data["youtube_url"]
    if isinstance(data.get("sandbox"), bool):
        shown["sandbox"] = data["sandbox"]
    return shown


def _failed_step(metadata: Any) -> str | None:
    """The pipeline step a failed video stopped at: the first one its record does not mark done."""
    state = (metadata or {}).get("pipeline") if isinstance(metadata, dict) else None
    if not isinstance(state, dict) or not state:
        return None
    for step in STEPS[1:]:
        entry = state.get(step)
        if not (isinstance(entry, dict) and entry.get("done")):
            return step
    return None


def failure_notice(video: Video) -> Notice | None:
    """Why a failed video failed (None unless it is failed), from the video alone, so the list
    and the detail agree: the writer's code, else the recorded message, else the step it stopped at."""
    if video.status != VideoStatus.FAILED:
        return None
    return failed_notice(metadata=video.metadata, error_message=video.error_message)


def failed_notice(*, metadata: Any, error_message: str) -> Notice:
    """``failure_notice`` of a failed video from its ``metadata`` and ``error_message`` (a list
    reads the metadata of its failed rows only)."""
    failure = (metadata or {}).get("failure") if isinstance(metadata, dict) else None
    code = _explicit_code(failure.get("code")) if isinstance(failure, dict) else None
    code = code or _match(_FAILURE_RULES, error_message)
    if code is None:
        step = _failed_step(metadata)
        code = f"{step}_failed" if step in ("script", "voice", "render", "upload") else None
    return _notice(code or "processing_failed")


_METADATA_NUMBERS = ("duration_seconds",)


def public_metadata(video: Video) -> dict[str, Any]:
    """The part of ``metadata`` a customer may see: the render duration and progress (step and
    percent; never n8n's free-text message), nothing of the pipeline's internal state."""
    metadata = video.metadata if isinstance(video.metadata, dict) else {}
    shown: dict[str, Any] = {}
    for key in _METADATA_NUMBERS:
        value = metadata.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown[key] = value
    progress = metadata.get("progress")
    if isinstance(progress, dict):
        percent = progress.get("percent")
        step = progress.get("step")
        entry: dict[str, Any] = {}
        if isinstance(percent, int) and not isinstance(percent, bool):
            entry["percent"] = percent
        if isinstance(step, str) and re.fullmatch(r"[\w .-]{1,50}", step):
            entry["step"] = step
        if _iso_datetime(progress.get("at")):
            entry["at"] = progress["at"]
        if entry:
            shown["progress"] = entry
    return shown


def public_cost_breakdown(video: Video) -> dict[str, Decimal]:
    """``cost_breakdown`` as money: ``{service: amount}``, amounts as numbers with 4 decimals."""
    breakdown = video.cost_breakdown if isinstance(video.cost_breakdown, dict) else {}
    shown: dict[str, Decimal] = {}
    for service, value in breakdown.items():
        amount = _money_or_none(value)
        if isinstance(service, str) and amount is not None:
            shown[service] = amount
    return shown
