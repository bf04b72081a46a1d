"""Render results and progress, as N8N (or the sandbox workflow) reports them.

The webhooks app verifies, logs and deduplicates a delivery, then calls one of these; the
sandbox render calls the same functions, so a render settles the same way whoever reports it.
"""

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction

from ytempire.core.exceptions import NotFoundError
from ytempire.core.money import money

from . import spending
from .models import Video, VideoStatus
from .pipeline.queue import enqueue_step
from .pipeline.state import pipeline_state, update_state
from .retention import media_oversize, video_fail_oversize
from .services import ProgressIgnoredError, video_set_progress, video_transition

logger = logging.getLogger(__name__)

S = VideoStatus
COMPLETED = frozenset({"completed", "success"})


def _lock_video(video_id) -> Video:
    video = Video.objects.select_for_update().filter(pk=video_id).first()
    if video is None:
        raise NotFoundError("Video not found")
    return video


def video_render_complete(
    *,
    video_id,
    status: str,
    video_path: str = "",
    thumbnail_path: str = "",
    audio_path: str = "",
    duration_seconds: Decimal | None = None,
    costs: list[dict] | None = None,
    error: str = "",
    schedule_upload: bool = True,
) -> dict:
    """Apply a render result: ``completed``/``success`` moves processing -> ready with the asset
    paths and duration; ``failed`` fails the video with the error (its holds are given back by
    the state machine). A completed render whose video file is over MAX_FILE_SIZE_MB fails the
    video instead (code ``file_too_large``; it never reaches the upload). Reported costs are
    charged through the cost policy in the same transaction. After commit the render holds are
    given back and a ready video is handed to the upload queue.

    Raises NotFoundError (unknown video) or the state machine's InvalidTransitionError (409,
    e.g. the video was cancelled meanwhile); then nothing is changed.
    """
    costs = costs or []
    with transaction.atomic():
        video = _lock_video(video_id)
        oversize = media_oversize(video_path) if status in COMPLETED else None
        if oversize is not None:
            outputs = {"video_path": video_path, "thumbnail_path": thumbnail_path, "audio_path": audio_path}
            video = video_fail_oversize(
                video=video,
                oversize=oversize,
                step="render",
                data={"source": "n8n"},
                fields={name: value for name, value in outputs.items() if value},  # so the purge finds them
            )
        elif status in COMPLETED:
            data: dict[str, Any] = {"source": "n8n", "video_path": video_path, "thumbnail_path": thumbnail_path}
            fields: dict[str, Any] = {"video_path": video_path}
            if thumbnail_path:
                fields["thumbnail_path"] = thumbnail_path
            if audio_path:
                fields["audio_path"] = audio_path
            if duration_seconds is not None:
                data["duration_seconds"] = float(duration_seconds)
                fields["metadata"] = {**(video.metadata or {}), "duration_seconds": float(duration_seconds)}
            video = video_transition(
                video=video, to_status=S.READY, reason="n8n render completed", data=data, fields=fields
            )
        else:
            video = video_transition(
                video=video,
                to_status=S.FAILED,
                reason="n8n render failed",
                data={"source": "n8n"},
                error_message=error or "Render failed in n8n",
            )
        total = None
        for item in costs:
            total = spending.video_charge(
                video=video,
                service=item["service"],
                amount=item["amount"],
                metadata={**(item.get("metadata") or {}), "source": "n8n"},
            )
        if total is None:
            total = spending.video_total(video=video)
        settled_id = video.pk
        transaction.on_commit(lambda: render_settled(video_id=settled_id, schedule_upload=schedule_upload))
        video.refresh_from_db(fields=["status"])  # the policy may have stopped it
    return {
        "status": "received",
        "video_id": str(video.pk),
        "video_status": video.status,
        "costs_recorded": len(costs),
        "total_cost": str(money(total)),
    }


def render_settled(*, video_id, schedule_upload: bool = True) -> None:
    """After a render result: give back the render holds (the real costs were charged) and,
    when the video is ready, hand it to the upload queue."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        return
    spending.release_holds(hold_ids=(pipeline_state(video).get("render") or {}).get("holds", []))
    if video.status != S.READY:
        return
    update_state(video_id, step="render", done=True, finished_at=video.processing_completed_at.isoformat())
    if schedule_upload:
        enqueue_step(video, "upload")


def video_render_progress(*, video_id, step: str, percent: int, message: str = "") -> dict:
    """Store the render step and percent on a processing video (``metadata["progress"]`` plus a
    history event). Progress for a video that is no longer processing, or older than what is
    stored (deliveries arrive out of order), is acknowledged and ignored."""
    video = Video.objects.filter(pk=video_id).only("id").first()
    if video is None:
        raise NotFoundError("Video not found")
    try:
        progress = video_set_progress(video=video, step=step, percent=percent, message=message)
    except ProgressIgnoredError as exc:
        return {"status": "ignored", "video_id": str(video.pk), "applied": False, "reason": exc.message}
    return {"status": "received", "video_id": str(video.pk), "applied": True, "progress": progress}
