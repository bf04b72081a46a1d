"""The pipeline steps. Each is ``step_<name>(video) -> next step | None``, idempotent.

What a step produced is recorded in ``metadata["pipeline"]`` and a re-run of a finished step
only returns the next one. Every step that spends money goes through the cost policy
(``videos.spending``): it holds its upper bound before the vendor is called (a refused hold
stops or parks the video and the vendor is never called) and records what the call really cost.
The status moves only through ``videos.services.video_transition``.
"""

import logging
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from costs.selectors import cost_budget_paused
from costs.services import (
    level_config,
    llm_call_bound,
    rate_table,
    render_call_bound,
    tts_call_bound,
    unit_call_bound,
)
from youtube_pool.exceptions import AccountUnavailableError, QuotaExhaustedError, YouTubeTransientError
from youtube_pool.services import UploadRequest, account_release_upload_slot, youtube_upload
from ytempire.core.money import money

from .. import spending
from ..models import Video, VideoStatus
from ..providers import (
    TransientProviderError,
    is_sandbox,
    render_provider,
    script_prompt_chars,
    script_provider,
    voice_provider,
)
from ..publishing.destination import NoRoom, destination_book, no_room_for
from ..render import render_settled, video_render_complete
from ..retention import media_oversize, video_fail_oversize
from ..services import video_event_record, video_transition
from .state import pipeline_next_step, pipeline_state, store_outputs, update_state, wait

logger = logging.getLogger(__name__)

S = VideoStatus


def _rates_and_config(video: Video) -> tuple[dict, dict]:
    """The prices and the level's models (re-read every step, so an economy switch applies to what
    remains)."""
    return rate_table(), level_config(level=video.optimization_level)


def step_start(video: Video) -> str | None:
    """queued -> processing, unless the platform's budget is exhausted (then it waits)."""
    if video.status != S.QUEUED:
        return pipeline_next_step(video)
    if cost_budget_paused():
        spending.video_park_for_budget(video)
        return None
    render = pipeline_state(video).get("render") or {}
    changes = {}
    if render and not render.get("done"):
        # A retry after a failed or timed-out render: the render is requested afresh, with its
        # full number of attempts (the old request's holds were given back when it stopped).
        changes["render"] = {"attempts": 0, "retried_after": render.get("requested_at")}
    update_state(
        video.pk,
        clear_wait=True,
        started_at=timezone.now().isoformat(),
        providers="sandbox" if is_sandbox() else "live",
        **changes,
    )
    video_transition(video=video, to_status=S.PROCESSING, reason="pipeline started")
    return "script"


def step_script(video: Video) -> str | None:
    if video.status != S.PROCESSING or (pipeline_state(video).get("script") or {}).get("done"):
        return pipeline_next_step(video)
    rates, config = _rates_and_config(video)
    model = config["openai"]
    channel_settings = video.channel.settings or {}
    bound = llm_call_bound(
        model=model,
        prompt_chars=script_prompt_chars(
            niche=video.channel.niche, title=video.title, channel_settings=channel_settings
        ),
        max_tokens=settings.OPENAI_MAX_TOKENS,
        rates=rates,
    )
    with spending.spend(video, service="openai", amount=bound, step="script") as charge:
        result = script_provider().write(
            niche=video.channel.niche, title=video.title, channel_settings=channel_settings, model=model
        )
        cost = Decimal(result.total_tokens) / 1000 * rates[("openai", model)]
        charge.record(
            cost,
            metadata={
                "step": "script",
                "model": result.model,
                "tokens": result.total_tokens,
                "sandbox": result.sandbox,
            },
        )
    outputs: dict[str, Any] = {"script": result.script}
    if not video.description:
        outputs["description"] = result.description
    if not video.tags:
        outputs["tags"] = result.tags
    store_outputs(video.pk, **outputs)
    update_state(
        video.pk,
        step="script",
        done=True,
        model=result.model,
        tokens=result.total_tokens,
        words=len(result.script.split()),
        sandbox=result.sandbox,
    )
    estimated = spending.video_estimate_revise(video, script=result.script)
    video_event_record(
        video=video,
        reason=f"script written ({result.total_tokens} tokens, {result.model}); estimate now ${estimated}",
        data={
            "step": "script",
            "cost": str(money(cost)),
            "estimated_cost": str(estimated),
            "sandbox": result.sandbox,
        },
    )
    return "voice"


def step_voice(video: Video) -> str | None:
    if video.status != S.PROCESSING or (pipeline_state(video).get("voice") or {}).get("done"):
        return pipeline_next_step(video)
    video.refresh_from_db(fields=["script"])
    rates, config = _rates_and_config(video)
    engine = config["tts"]
    bound = tts_call_bound(engine=engine, characters=len(video.script), rates=rates)
    with spending.spend(video, service="tts", amount=bound, step="voice") as charge:
        result = voice_provider(engine).synthesize(video_id=str(video.pk), text=video.script)
        cost = Decimal(result.characters) / 1000 * rates[("tts", engine)]
        charge.record(
            cost,
            metadata={"step": "voice", "engine": engine, "characters": result.characters, "sandbox": result.sandbox},
        )
    store_outputs(video.pk, audio_path=result.path)
    update_state(video.pk, step="voice", done=True, engine=engine, characters=result.characters)
    video_event_record(
        video=video,
        reason=f"voice synthesised ({result.characters} characters, {engine})",
        data={"step": "voice", "cost": str(money(cost)), "sandbox": result.sandbox},
    )
    return "render"


def _callback_urls() -> dict:
    """Where N8N reports back; each delivery is authenticated by its Standard Webhooks signature."""
    base = settings.N8N_WEBHOOK_URL.rstrip("/")
    return {"progress": f"{base}/progress", "complete": f"{base}/video-complete", "cost_alert": f"{base}/cost-alert"}


def _render_holds(video: Video, *, rates: dict, config: dict) -> list:
    """Hold the render's cap and the thumbnail's price until N8N reports the real costs."""
    bounds = {
        "rendering": render_call_bound(quality=config["rendering"], rates=rates),
        "thumbnail": unit_call_bound(service="thumbnail", model=config["thumbnail"], rates=rates),
    }
    holds = []
    try:
        for service, amount in bounds.items():
            holds.append(spending.video_hold(video, service=service, amount=amount, step="render"))
    except spending.SpendingRefusedError:
        for taken in holds:
            spending.release(taken)
        raise
    return holds


def step_render(video: Video) -> str | None:
    """Hand the video to N8N (or the sandbox). The video stays ``processing`` until N8N calls
    back (webhooks app -> videos.render); a render that hears nothing within the timeout is
    requested again, up to PIPELINE_MAX_RENDER_ATTEMPTS, then the video fails."""
    if video.status != S.PROCESSING:
        return pipeline_next_step(video)
    state = pipeline_state(video).get("render") or {}
    attempts = int(state.get("attempts", 0))
    if state.get("requested_at") and not (state.get("timed_out") or state.get("stopped")):
        return None  # already with N8N; the sweeper watches the timeout
    if attempts >= settings.PIPELINE_MAX_RENDER_ATTEMPTS:
        video_transition(
            video=video,
            to_status=S.FAILED,
            reason="render timed out",
            error_message=f"Render timed out: no answer from N8N after {attempts} attempts",
        )
        return None
    spending.release_holds(hold_ids=state.get("holds", []))  # a timed-out earlier attempt's holds
    rates, config = _rates_and_config(video)
    holds = _render_holds(video, rates=rates, config=config)
    video.refresh_from_db(fields=["script", "audio_path"])
    payload = {
        "video_id": str(video.pk),
        "title": video.title,
        "script": video.script,
        "audio_path": video.audio_path,
        "resolution": config["video_quality"],
        "effects": config["effects"],
        "thumbnail": config["thumbnail"],
        "max_duration_seconds": int(settings.N8N_RENDER_MAX_MINUTES) * 60,
        "callbacks": _callback_urls(),
    }
    try:
        accepted = render_provider().start(payload=payload)
    except BaseException:
        for hold in holds:
            spending.release(hold)
        raise
    update_state(
        video.pk,
        step="render",
        attempts=attempts + 1,
        requested_at=timezone.now().isoformat(),
        timed_out=False,
        stopped=False,
        execution_id=accepted.execution_id,
        holds=[str(hold.pk) for hold in holds],
        sandbox=accepted.sandbox,
    )
    video_event_record(
        video=video,
        reason=f"render requested (attempt {attempts + 1})",
        data={"step": "render", "execution_id": accepted.execution_id, "sandbox": accepted.sandbox},
    )
    if not accepted.sandbox:
        return None
    # The sandbox "workflow" reports back at once, through the same function as N8N's webhook.
    minutes = max(Decimal(1), Decimal(accepted.extra["duration_seconds"]) / 60)
    video_render_complete(
        video_id=video.pk,
        status="completed",
        video_path=accepted.extra["video_path"],
        thumbnail_path=accepted.extra["thumbnail_path"],
        duration_seconds=Decimal(accepted.extra["duration_seconds"]),
        costs=[
            {"service": "rendering", "amount": money(minutes * rates[("rendering", config["rendering"])])},
            {"service": "thumbnail", "amount": money(rates[("thumbnail", config["thumbnail"])])},
        ],
        schedule_upload=False,  # this step returns "upload": the task enqueues it once
    )
    render_settled(video_id=video.pk, schedule_upload=False)
    return "upload"


def upload_not_before(video: Video) -> datetime | None:
    """The channel's next ``upload_time_utc`` after the video became ready (None: upload at once)."""
    raw = video.channel.upload_time_utc
    if not raw:
        return None
    hour, minute = (int(part) for part in raw.split(":"))
    ready_at = video.processing_completed_at or timezone.now()
    candidate = datetime.combine(ready_at.astimezone(UTC).date(), time(hour, minute), tzinfo=UTC)
    return candidate if candidate >= ready_at else candidate + timedelta(days=1)


def upload_request(video: Video, *, account_id, resume_account_id=None) -> UploadRequest:
    """What YouTube needs to publish the video, from the video and its channel's settings."""
    channel_settings = video.channel.settings or {}
    return UploadRequest(
        reference=str(video.pk),
        account_id=account_id,
        video_path=video.video_path,
        title=video.title,
        description=video.description,
        tags=tuple(str(tag) for tag in (video.tags or []) if str(tag).strip()),
        category_id=video.category_id or str(channel_settings.get("category_id") or ""),
        privacy_status=str(channel_settings.get("privacy_status") or ""),
        made_for_kids=bool(channel_settings.get("made_for_kids", False)),
        thumbnail_path=video.thumbnail_path,
        resume_account_id=resume_account_id,
    )


def _park_for(video: Video, room: NoRoom) -> None:
    """The channel cannot upload now: a video already uploading goes back to ready, then waits."""
    if video.status == S.UPLOADING:
        video = video_transition(video=video, to_status=S.READY, reason=f"upload postponed: {room.detail}")
    wait(video, reason=room.reason, until=room.until, detail=room.detail)


def step_upload(video: Video) -> str | None:
    """ready -> uploading -> published on the channel's OWN YouTube channel (its bound account).

    The channel's upload time is respected; a channel that is not connected, whose account needs
    reconnecting, is resting or used its cap, or whose project's bucket is empty, keeps the video
    ``ready`` until then — it is never sent to another channel's account. A file over
    MAX_FILE_SIZE_MB (the render callback refuses those; this guards any other way in) fails the
    video with ``file_too_large`` before anything is booked or sent."""
    if video.status not in (S.READY, S.UPLOADING):
        return pipeline_next_step(video)
    oversize = media_oversize(video.video_path)
    if oversize is not None:
        video_fail_oversize(video=video, oversize=oversize, step="upload")
        return None
    if video.status == S.READY:
        not_before = upload_not_before(video)
        if not_before and timezone.now() < not_before:
            wait(video, reason="upload_time", until=not_before, detail=f"channel upload time {not_before:%H:%M} UTC")
            return None
    rates, config = _rates_and_config(video)
    booked = destination_book(video)
    if isinstance(booked, NoRoom):
        _park_for(video, booked)
        return None
    account = booked
    try:
        upload_price = unit_call_bound(service="upload", model=config["upload"], rates=rates)
        hold = spending.video_hold(video, service="upload", amount=upload_price, step="upload")
    except spending.SpendingRefusedError:
        account_release_upload_slot(account=account)
        raise
    previous = pipeline_state(video).get("upload") or {}
    resume = previous.get("account_id") if previous.get("started_at") and not previous.get("done") else None
    try:
        if video.status == S.READY:
            video = video_transition(
                video=video, to_status=S.UPLOADING, reason="upload started", data={"account_id": str(account.pk)}
            )
        update_state(
            video.pk, clear_wait=True, step="upload", account_id=str(account.pk), started_at=timezone.now().isoformat()
        )
        result = youtube_upload(upload_request(video, account_id=account.pk, resume_account_id=resume))
    except (AccountUnavailableError, QuotaExhaustedError) as exc:
        spending.release(hold)
        _park_for(video, no_room_for(exc, account=account))
        return None
    except YouTubeTransientError as exc:
        spending.release(hold)
        raise TransientProviderError(str(exc), provider="youtube") from exc
    except BaseException:
        spending.release(hold)  # a permanent failure: the task fails the video with the reason
        raise
    spending.video_charge(
        video=video,
        service="upload",
        amount=rates[("upload", config["upload"])],
        reservation=hold,
        metadata={"step": "upload", "youtube_video_id": result.youtube_video_id, "sandbox": result.sandbox},
    )
    update_state(video.pk, step="upload", done=True, thumbnail=result.thumbnail)
    video.refresh_from_db(fields=["status"])
    published = {"youtube_video_id": result.youtube_video_id, "youtube_url": result.youtube_url}
    if video.status == S.UPLOADING:
        video_transition(
            video=video,
            to_status=S.PUBLISHED,
            reason="published on YouTube",
            data={**published, "found_existing": result.found_existing},
            fields={**published, "youtube_account_used_id": result.account_id},
        )
    else:
        # It is on YouTube all the same: keep where, so staff can take it down or restore it.
        logger.warning("uploaded a video that stopped meanwhile", extra={"video_id": str(video.pk), **published})
        store_outputs(video.pk, **published, youtube_account_used_id=result.account_id)
        video_event_record(video=video, reason=f"uploaded while {video.status}", data=published)
    return None


STEP_FUNCTIONS = {
    "start": step_start,
    "script": step_script,
    "voice": step_voice,
    "render": step_render,
    "upload": step_upload,
}
