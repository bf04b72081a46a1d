"""The video pipeline: script -> voice -> render -> upload, within cost and quota, crash-safe.

Each step is a function ``step_<name>(video) -> next step | None`` run by ``pipeline_run_step``
under a per-video lock (so no video is run twice at once). Steps are idempotent: what a step
produced is recorded in ``video.metadata["pipeline"]`` and a re-run of a finished step only
returns the next one. Every step that spends money first *reserves* its estimate through the
costs service (refused holds stop the step before any vendor is called) and records the actual
cost after. The status moves only through ``videos.services.video_transition``.

Waiting is data, not a sleeping task: a video waiting for the next budget day, for its
channel's upload time or for the YouTube pool's reset carries ``pipeline.wait = {"reason",
"until"}``; the dispatcher (beat, every minute) re-enqueues it when due, and the sweeper (beat,
every 5 minutes) resumes videos whose worker died.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from .models import Video, VideoStatus
from .providers import (
    ProviderError,
    TransientProviderError,
    is_sandbox,
    render_provider,
    script_provider,
    voice_provider,
)
from .services import video_event_record, video_transition

logger = logging.getLogger(__name__)

S = VideoStatus
STEPS = ("start", "script", "voice", "render", "upload")
STEP_QUEUES = {"start": "pipeline", "script": "pipeline", "voice": "pipeline", "render": "render", "upload": "upload"}
PIPELINE_KEY = "pipeline"
CENT4 = Decimal("0.0001")


class VideoBusyError(Exception):
    """Another worker holds this video's lock."""


class StepRetryError(Exception):
    """A transient failure: the task retries the step with backoff."""


# --- Small helpers --------------------------------------------------------------------------


def celery_priority(video_priority: int) -> int:
    """Video priority 1..10 (10 = most urgent) -> Celery priority 9..0 (0 = first on Redis)."""
    return max(0, min(9, 10 - int(video_priority)))


def pipeline_state(video: Video) -> dict:
    return dict((video.metadata or {}).get(PIPELINE_KEY) or {})


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT4, rounding=ROUND_HALF_UP)


def _update_state(video_id, *, step: str | None = None, clear_wait: bool = False, **changes) -> dict:
    """Merge ``changes`` into metadata["pipeline"] (or into its ``step`` entry) under the row lock."""
    with transaction.atomic():
        video = Video.objects.select_for_update().only("id", "metadata").get(pk=video_id)
        metadata = dict(video.metadata or {})
        state = dict(metadata.get(PIPELINE_KEY) or {})
        if step is not None:
            state[step] = {**(state.get(step) or {}), **changes}
        else:
            state.update(changes)
        if clear_wait:
            state.pop("wait", None)
            state.pop("waiting_for", None)
        metadata[PIPELINE_KEY] = state
        Video.objects.filter(pk=video_id).update(metadata=metadata, updated_at=timezone.now())
    return state


def _store_outputs(video_id, **fields) -> None:
    """Save what a step produced (script, audio path...) without touching the status."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        for name, value in fields.items():
            setattr(video, name, value)
        video.save(update_fields=[*fields, "updated_at"])


def _wait(video: Video, *, reason: str, until: datetime, detail: str) -> None:
    """Park the video until ``until``; the event is recorded once per reason (``waiting_for``
    survives the dispatcher's re-tries and is cleared when the video moves on), not on every poll."""
    previous = pipeline_state(video).get("waiting_for")
    _update_state(video.pk, wait={"reason": reason, "until": until.isoformat(), "detail": detail}, waiting_for=reason)
    if previous != reason:
        video_event_record(video=video, reason=f"waiting: {detail}", data={"until": until.isoformat()})
    logger.info("video waiting", extra={"video_id": str(video.pk), "wait_reason": reason, "until": until.isoformat()})


def _rates_and_config(video: Video) -> tuple[dict, dict, dict]:
    """The level's models (re-read every step, so an economy switch applies to what remains)."""
    from costs.services import estimate_video_cost, rate_table

    rates = rate_table()
    estimate = estimate_video_cost(level=video.optimization_level, rates=rates)
    return rates, estimate.config, estimate.breakdown


@contextmanager
def video_lock(video_id, *, seconds: int | None = None):
    """A per-video lock in the cache (Redis in production) so no video runs twice at once.

    It expires after the task time limit, so a killed worker never blocks its video for good."""
    cache = caches["default"]
    key = f"pipeline:lock:{video_id}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=seconds or settings.CELERY_TASK_TIME_LIMIT + 60):
        raise VideoBusyError(str(video_id))
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


# --- Cost holds -----------------------------------------------------------------------------


def _reserve(video: Video, *, service: str, amount: Decimal, step: str):
    """Hold a step's estimate. Over the per-video limit the video is cancelled; over the budget
    it waits for the next budget day. Either way the vendor is not called (returns None)."""
    from costs.services import BudgetExceededError, CostLimitError, cost_budget_resumes_at, cost_reserve

    try:
        return cost_reserve(video=video, service=service, amount=amount, metadata={"step": step})
    except CostLimitError as exc:
        video.refresh_from_db(fields=["status", "total_cost"])
        if video.status in (S.PROCESSING, S.READY, S.UPLOADING, S.QUEUED):
            video_transition(
                video=video,
                to_status=S.CANCELLED,
                reason=f"{step}: cost hold refused",
                data={"service": service, "amount": str(amount)},
                error_message=f"Cost limit exceeded: ${video.total_cost:.2f} recorded, "
                f"${amount:.2f} more needed for {step}",
            )
        logger.warning("cost hold refused; video stopped", extra={"video_id": str(video.pk), "error": exc.message})
        return None
    except BudgetExceededError:
        _wait(video, reason="budget", until=cost_budget_resumes_at(), detail="daily cost budget reached")
        return None


def _release(reservation) -> None:
    from costs.services import cost_release

    if reservation is not None:
        cost_release(reservation=reservation)


def _record(video: Video, *, service: str, amount: Decimal, reservation, metadata: dict) -> None:
    from costs.services import cost_record

    cost_record(video=video, service=service, amount=_money(amount), reservation=reservation, metadata=metadata)


# --- Steps ------------------------------------------------------------------------------------


def pipeline_next_step(video: Video) -> str | None:
    """What should run next for ``video`` given its status and finished steps."""
    state = pipeline_state(video)
    if video.status == S.QUEUED:
        return "start"
    if video.status == S.PROCESSING:
        for step in ("script", "voice"):
            if not (state.get(step) or {}).get("done"):
                return step
        return "render"
    if video.status in (S.READY, S.UPLOADING):
        return "upload"
    return None


def step_start(video: Video) -> str | None:
    """queued -> processing, unless the platform's daily budget is exhausted (then it waits)."""
    from costs.services import cost_budget_paused, cost_budget_resumes_at

    if video.status != S.QUEUED:
        return pipeline_next_step(video)
    if cost_budget_paused():
        _wait(video, reason="budget", until=cost_budget_resumes_at(), detail="daily cost budget reached")
        return None
    _update_state(
        video.pk,
        clear_wait=True,
        started_at=timezone.now().isoformat(),
        providers="sandbox" if is_sandbox() else "live",
    )
    video_transition(video=video, to_status=S.PROCESSING, reason="pipeline started")
    return "script"


def step_script(video: Video) -> str | None:
    if video.status != S.PROCESSING or (pipeline_state(video).get("script") or {}).get("done"):
        return pipeline_next_step(video)
    rates, config, breakdown = _rates_and_config(video)
    model = config["openai"]
    hold = _reserve(video, service="openai", amount=breakdown["openai"], step="script")
    if hold is None:
        return None
    provider = script_provider()
    try:
        result = provider.write(
            niche=video.channel.niche, title=video.title, channel_settings=video.channel.settings or {}, model=model
        )
    except BaseException:
        _release(hold)
        raise
    cost = Decimal(result.total_tokens) / 1000 * rates[("openai", model)]
    _record(
        video,
        service="openai",
        amount=cost,
        reservation=hold,
        metadata={"step": "script", "model": result.model, "tokens": result.total_tokens, "sandbox": result.sandbox},
    )
    outputs: dict[str, Any] = {"script": result.script}
    if not video.description:
        outputs["description"] = result.description
    if not video.tags:
        outputs["tags"] = result.tags
    _store_outputs(video.pk, **outputs)
    _update_state(
        video.pk, step="script", done=True, model=result.model, tokens=result.total_tokens, sandbox=result.sandbox
    )
    video_event_record(
        video=video,
        reason=f"script written ({result.total_tokens} tokens, {result.model})",
        data={"step": "script", "cost": str(_money(cost)), "sandbox": result.sandbox},
    )
    return "voice"


def step_voice(video: Video) -> str | None:
    if video.status != S.PROCESSING or (pipeline_state(video).get("voice") or {}).get("done"):
        return pipeline_next_step(video)
    video.refresh_from_db(fields=["script"])
    rates, config, breakdown = _rates_and_config(video)
    engine = config["tts"]
    hold = _reserve(video, service="tts", amount=breakdown["tts"], step="voice")
    if hold is None:
        return None
    try:
        result = voice_provider(engine).synthesize(video_id=str(video.pk), text=video.script)
    except BaseException:
        _release(hold)
        raise
    cost = Decimal(result.characters) / 1000 * rates[("tts", engine)]
    _record(
        video,
        service="tts",
        amount=cost,
        reservation=hold,
        metadata={"step": "voice", "engine": engine, "characters": result.characters, "sandbox": result.sandbox},
    )
    _store_outputs(video.pk, audio_path=result.path)
    _update_state(video.pk, step="voice", done=True, engine=engine, characters=result.characters)
    video_event_record(
        video=video,
        reason=f"voice synthesised ({result.characters} characters, {engine})",
        data={"step": "voice", "cost": str(_money(cost)), "sandbox": result.sandbox},
    )
    return "render"


def _callback_urls(video: Video) -> dict:
    base = settings.N8N_WEBHOOK_URL.rstrip("/")
    token = signing.TimestampSigner(salt="n8n-callback").sign(str(video.pk))
    return {
        "progress": f"{base}/progress?token={token}",
        "complete": f"{base}/video-complete?token={token}",
        "cost_alert": f"{base}/cost-alert?token={token}",
    }


def _render_holds(video: Video, breakdown: dict) -> list | None:
    holds = []
    for service in ("rendering", "thumbnail"):
        hold = _reserve(video, service=service, amount=breakdown[service], step="render")
        if hold is None:
            for taken in holds:
                _release(taken)
            return None
        holds.append(hold)
    return holds


def step_render(video: Video) -> str | None:
    """Hand the video to N8N (or the sandbox). The video stays ``processing`` until N8N calls
    back (webhooks app); a render that hears nothing within the timeout is retried once."""
    if video.status != S.PROCESSING:
        return pipeline_next_step(video)
    state = pipeline_state(video).get("render") or {}
    attempts = int(state.get("attempts", 0))
    if state.get("requested_at") and not state.get("timed_out"):
        return None  # already with N8N; the sweeper watches the timeout
    if attempts >= settings.PIPELINE_MAX_RENDER_ATTEMPTS:
        video_transition(
            video=video,
            to_status=S.FAILED,
            reason="render timed out",
            error_message=f"Render timed out: no answer from N8N after {attempts} attempts",
        )
        return None
    if state.get("holds"):  # a timed-out earlier attempt: its holds are given back first
        from costs.models import Reservation

        for stale_hold in Reservation.objects.filter(pk__in=state["holds"]):
            _release(stale_hold)
    rates, config, breakdown = _rates_and_config(video)
    holds = _render_holds(video, breakdown)
    if holds is None:
        return None
    video.refresh_from_db(fields=["script", "audio_path"])
    payload = {
        "video_id": str(video.pk),
        "title": video.title,
        "script": video.script,
        "audio_path": video.audio_path,
        "resolution": config["video_quality"],
        "effects": config["effects"],
        "thumbnail": config["thumbnail"],
        "callbacks": _callback_urls(video),
    }
    provider = render_provider()
    try:
        accepted = provider.start(payload=payload)
    except BaseException:
        for hold in holds:
            _release(hold)
        raise
    _update_state(
        video.pk,
        step="render",
        attempts=attempts + 1,
        requested_at=timezone.now().isoformat(),
        timed_out=False,
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
    # The sandbox "workflow" reports back at once, through the same service as N8N's webhook.
    from webhooks.services.n8n import n8n_video_complete

    minutes = max(Decimal(1), Decimal(accepted.extra["duration_seconds"]) / 60)
    n8n_video_complete(
        video_id=video.pk,
        status="completed",
        video_path=accepted.extra["video_path"],
        thumbnail_path=accepted.extra["thumbnail_path"],
        duration_seconds=Decimal(accepted.extra["duration_seconds"]),
        costs=[
            {"service": "rendering", "amount": _money(minutes * rates[("rendering", config["rendering"])])},
            {"service": "thumbnail", "amount": _money(rates[("thumbnail", config["thumbnail"])])},
        ],
        schedule_upload=False,
    )
    pipeline_render_settled(video_id=video.pk, schedule_upload=False)
    return "upload"


def pipeline_render_settled(*, video_id, schedule_upload: bool = True) -> None:
    """After N8N's completion webhook (success or failure): give back the render holds (N8N
    reported the real costs) and, when the video is ready, hand it to the upload queue."""
    from costs.models import Reservation

    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        return
    for hold in Reservation.objects.filter(pk__in=(pipeline_state(video).get("render") or {}).get("holds", [])):
        _release(hold)
    if video.status != S.READY:
        return
    _update_state(video_id, step="render", done=True, finished_at=timezone.now().isoformat())
    if schedule_upload:
        from .tasks import enqueue_step

        enqueue_step(video, "upload")


def upload_not_before(video: Video) -> datetime | None:
    """The channel's next ``upload_time_utc`` after the video became ready (None: upload at once)."""
    raw = video.channel.upload_time_utc
    if not raw:
        return None
    hour, minute = (int(part) for part in raw.split(":"))
    ready_at = video.processing_completed_at or timezone.now()
    candidate = datetime.combine(ready_at.astimezone(UTC).date(), time(hour, minute), tzinfo=UTC)
    return candidate if candidate >= ready_at else candidate + timedelta(days=1)


def _upload_with(video: Video, account) -> dict:
    """Upload with ``account``; on a project or account failure rotate to another account."""
    from youtube_pool.exceptions import AccountUnavailableError, QuotaExhaustedError
    from youtube_pool.services import account_acquire_for_upload, video_upload

    excluded: set = set()
    for _ in range(5):
        try:
            return video_upload(video=video, account=account)
        except QuotaExhaustedError:
            excluded.add(account.project_id)
        except AccountUnavailableError:
            pass
        account = account_acquire_for_upload(exclude_project_ids=excluded)
    raise StepRetryError("upload kept failing on every account tried")


def step_upload(video: Video) -> str | None:
    """ready -> uploading -> published through the pool; an exhausted pool leaves it ``ready``
    until the Pacific-midnight reset; the channel's upload time is respected."""
    from youtube_pool.exceptions import PoolExhaustedError, YouTubeTransientError
    from youtube_pool.services import account_acquire_for_upload, account_release_upload_slot

    if video.status not in (S.READY, S.UPLOADING):
        return pipeline_next_step(video)
    if video.status == S.READY:
        not_before = upload_not_before(video)
        if not_before and timezone.now() < not_before:
            _wait(video, reason="upload_time", until=not_before, detail=f"channel upload time {not_before:%H:%M} UTC")
            return None
    rates, config, breakdown = _rates_and_config(video)
    try:
        account = account_acquire_for_upload()
    except PoolExhaustedError as exc:
        if video.status == S.UPLOADING:
            video = video_transition(video=video, to_status=S.READY, reason="YouTube pool exhausted")
        _wait(video, reason="pool", until=exc.next_reset_at, detail="YouTube pool exhausted until the reset")
        return None
    hold = _reserve(video, service="upload", amount=breakdown["upload"], step="upload")
    if hold is None:
        account_release_upload_slot(account=account)
        return None
    if video.status == S.READY:
        video = video_transition(
            video=video, to_status=S.UPLOADING, reason="upload started", data={"account": account.email}
        )
    _update_state(video.pk, clear_wait=True)
    try:
        result = _upload_with(video, account)
    except PoolExhaustedError as exc:
        _release(hold)
        video = video_transition(video=video, to_status=S.READY, reason="YouTube pool exhausted during upload")
        _wait(video, reason="pool", until=exc.next_reset_at, detail="YouTube pool exhausted until the reset")
        return None
    except (YouTubeTransientError, StepRetryError) as exc:
        _release(hold)
        raise TransientProviderError(str(exc), provider="youtube") from exc
    except Exception:
        _release(hold)  # a permanent failure: the task fails the video with the reason
        raise
    _record(
        video,
        service="upload",
        amount=rates[("upload", config["upload"])],
        reservation=hold,
        metadata={"step": "upload", "youtube_video_id": result["youtube_video_id"], "sandbox": result.get("sandbox")},
    )
    _update_state(video.pk, step="upload", done=True, youtube_video_id=result["youtube_video_id"])
    video.refresh_from_db(fields=["status"])
    if video.status == S.UPLOADING:
        video_transition(
            video=video,
            to_status=S.PUBLISHED,
            reason="published on YouTube",
            data={"youtube_video_id": result["youtube_video_id"], "youtube_url": result["youtube_url"]},
        )
    return None


STEP_FUNCTIONS = {
    "start": step_start,
    "script": step_script,
    "voice": step_voice,
    "render": step_render,
    "upload": step_upload,
}


def pipeline_run_step(*, video_id, step: str) -> str | None:
    """Run ``step`` for the video under its lock and return the next step to enqueue (or None).

    A video another worker holds is left alone (that worker, or the sweeper, carries on)."""
    if step not in STEP_FUNCTIONS:
        raise ValueError(f"unknown pipeline step {step!r}")
    try:
        with video_lock(video_id):
            video = Video.objects.select_related("channel").filter(pk=video_id).first()
            if video is None:
                return None
            return STEP_FUNCTIONS[step](video)
    except VideoBusyError:
        logger.info("video busy in another worker; skipping", extra={"video_id": str(video_id), "step": step})
        return None


def pipeline_fail(*, video_id, reason: str) -> None:
    """Fail an active video with ``reason`` (a permanent error or retries exhausted) and give back
    the holds it still has open, so they stop counting against the budget at once."""
    from costs.services import cost_release_video_holds

    video = Video.objects.filter(pk=video_id).first()
    if video is None or video.status not in (S.QUEUED, S.PROCESSING, S.READY, S.UPLOADING):
        return
    video_transition(video=video, to_status=S.FAILED, reason="pipeline failed", error_message=reason[:2000])
    cost_release_video_holds(video=video)


def is_retryable(exc: BaseException) -> bool:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, ProviderError):
        return exc.retryable
    return isinstance(exc, (StepRetryError, SoftTimeLimitExceeded, ConnectionError, TimeoutError))


# --- Dispatcher and sweeper -----------------------------------------------------------------


def _due(video: Video, now: datetime) -> bool:
    wait = pipeline_state(video).get("wait")
    if not wait:
        return True
    return datetime.fromisoformat(wait["until"]) <= now


def pipeline_dispatch(*, now: datetime | None = None, limit: int = 200) -> list[tuple[str, str]]:
    """Re-enqueue waiting videos whose wait is over and videos nobody picked up.

    Waiting videos (budget, upload time, pool reset) are enqueued once ``wait.until`` passed;
    queued/ready videos untouched for PIPELINE_STUCK_SECONDS are enqueued again (a lost message).
    Highest priority first. Returns (video id, step) pairs enqueued."""
    from .tasks import enqueue_step

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PIPELINE_STUCK_SECONDS)
    candidates = (
        Video.objects.filter(status__in=(S.QUEUED, S.READY, S.PROCESSING, S.UPLOADING))
        .filter(metadata__pipeline__has_key="wait")
        .only("id", "status", "priority", "metadata", "updated_at")
        .order_by("-priority", "queued_at")[:limit]
    )
    enqueued = []
    for video in candidates:
        wait = pipeline_state(video).get("wait")
        if wait and _due(video, now):
            _update_state(video.pk, wait=None)
            step = pipeline_next_step(video)
            if step:
                enqueue_step(video, step)
                enqueued.append((str(video.pk), step))
    lost = (
        Video.objects.filter(status__in=(S.QUEUED, S.READY), updated_at__lt=stale)
        .only("id", "status", "priority", "metadata", "updated_at")
        .order_by("-priority", "queued_at")[:limit]
    )
    for video in lost:
        if pipeline_state(video).get("wait") and not _due(video, now):
            continue
        step = pipeline_next_step(video)
        if step:
            _update_state(video.pk, redispatched_at=now.isoformat())
            enqueue_step(video, step)
            enqueued.append((str(video.pk), step))
    return enqueued


def pipeline_sweep(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Find videos a dead worker left behind and resume or fail them.

    - processing with an unanswered render older than PIPELINE_RENDER_TIMEOUT_SECONDS: the
      render is requested again (once), then the video fails with the reason;
    - processing/uploading untouched for PIPELINE_STUCK_SECONDS: the next step is enqueued again
      (steps are idempotent; the per-video lock keeps a live worker's video from running twice).
    """
    from .tasks import enqueue_step

    now = now or timezone.now()
    render_deadline = now - timedelta(seconds=settings.PIPELINE_RENDER_TIMEOUT_SECONDS)
    stale = now - timedelta(seconds=settings.PIPELINE_STUCK_SECONDS)
    report = {"render_retried": 0, "render_failed": 0, "resumed": 0}
    in_flight = (
        Video.objects.filter(status__in=(S.PROCESSING, S.UPLOADING))
        .only("id", "status", "priority", "metadata", "updated_at")
        .order_by("updated_at")[:limit]
    )
    for video in in_flight:
        render = pipeline_state(video).get("render") or {}
        if video.status == S.PROCESSING and render.get("requested_at") and not render.get("done"):
            progress_at = ((video.metadata or {}).get("progress") or {}).get("at")
            heard = max(filter(None, (render["requested_at"], render.get("retried_at"), progress_at)))
            if render.get("timed_out") or datetime.fromisoformat(heard) > render_deadline:
                continue
            attempts = int(render.get("attempts", 0))
            if attempts >= settings.PIPELINE_MAX_RENDER_ATTEMPTS:
                pipeline_fail(
                    video_id=video.pk,
                    reason=f"Render timed out: no answer from N8N after {attempts} attempts",
                )
                report["render_failed"] += 1
                continue
            _update_state(video.pk, step="render", timed_out=True, retried_at=now.isoformat())
            video_event_record(video=video, reason=f"render timed out (attempt {attempts}); retrying")
            enqueue_step(video, "render")
            report["render_retried"] += 1
            continue
        if video.updated_at >= stale or not _due(video, now):
            continue  # recently active, or parked on purpose (the dispatcher wakes it)
        step = pipeline_next_step(video)
        if step:
            video_event_record(video=video, reason=f"resumed by the sweeper at step {step}")
            enqueue_step(video, step)
            report["resumed"] += 1
    return report
