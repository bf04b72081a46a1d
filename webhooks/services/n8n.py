"""N8N callbacks: Standard Webhooks verification and the three effects (complete, progress, cost alert).

Every effect runs inside ``webhook_receive``'s transaction, after the idempotency key is claimed:
the video row is locked, its status moves only through ``videos.services.video_transition`` and
reported costs go through ``costs.services.cost_record``, so they count against the same limits.
"""

import json
import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ytempire.core.exceptions import ApplicationError, AuthenticationError, NotFoundError, ServiceUnavailableError

logger = logging.getLogger(__name__)

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MONEY = Decimal("0.0001")


class WebhookSignatureError(AuthenticationError):
    """401: the delivery is not signed, or not signed with our secret, or not recent."""

    default_message = "Invalid webhook signature"


class WebhookBodyError(ApplicationError):
    status_code = 400
    default_message = "Malformed webhook body"


def _tolerance() -> int:
    return int(getattr(settings, "WEBHOOK_TOLERANCE_SECONDS", 300))


def _webhook() -> Webhook:
    secret = getattr(settings, "N8N_WEBHOOK_SECRET", "")
    if not secret:
        raise ServiceUnavailableError("N8N webhook secret is not configured")
    try:
        return Webhook(secret)
    except Exception:
        # Never echo the secret; say what is wrong with it.
        raise ServiceUnavailableError("N8N webhook secret is not a valid whsec_<base64> value") from None


def n8n_verify(*, body: bytes, headers: Mapping[str, str]) -> dict:
    """Verify a Standard Webhooks 1.0 delivery over the raw body and return the parsed JSON object.

    Headers ``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
    (space-separated ``v1,<base64>``; any one may match, so the secret can be rotated) are
    checked with the ``standardwebhooks`` package against ``N8N_WEBHOOK_SECRET``. A timestamp
    more than ``WEBHOOK_TOLERANCE_SECONDS`` old or ahead is refused (the package itself also
    never accepts more than 5 minutes). Raises WebhookSignatureError (401) with the reason.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [name for name in SIGNATURE_HEADERS if not lowered.get(name)]
    if missing:
        raise WebhookSignatureError(f"Missing webhook signature header(s): {', '.join(missing)}")
    webhook = _webhook()
    raw_ts = lowered["webhook-timestamp"]
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise WebhookSignatureError("Invalid webhook-timestamp header: expected unix seconds") from None
    skew = int(time.time()) - timestamp
    if skew > _tolerance():
        raise WebhookSignatureError("Webhook timestamp too old: the delivery is outside the tolerance window")
    if -skew > _tolerance():
        raise WebhookSignatureError("Webhook timestamp too new: the delivery is outside the tolerance window")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookSignatureError("Invalid webhook signature: the body is not UTF-8") from None
    try:
        webhook.verify(text, {name: lowered[name] for name in SIGNATURE_HEADERS}, json_parse=False)
    except WebhookVerificationError as exc:
        raise WebhookSignatureError(f"Invalid webhook signature: {exc}") from None
    except (ValueError, TypeError):  # malformed "v1,<base64>" entries
        raise WebhookSignatureError("Invalid webhook signature: malformed webhook-signature header") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebhookBodyError(f"Malformed JSON body: {exc.msg}") from None
    if not isinstance(data, dict):
        raise WebhookBodyError("The body must be a JSON object")
    return data


def _lock_video(video_id):
    from videos.models import Video

    video = Video.objects.select_for_update().filter(pk=video_id).first()
    if video is None:
        raise NotFoundError("Video not found")
    return video


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(MONEY))


def n8n_video_complete(
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
    paths and duration, ``failed`` moves the video to failed with the error. Reported costs are
    recorded through the costs service in the same transaction. After commit the pipeline
    releases its render holds and queues the upload of a ready video (``schedule_upload=False``
    when the pipeline itself reports a sandbox render).

    Raises NotFoundError (unknown video) or the state machine's InvalidTransitionError (409,
    e.g. the video was cancelled meanwhile); then nothing is changed.
    """
    from costs.services import cost_record, cost_video_total
    from videos.services import video_transition

    costs = costs or []
    with transaction.atomic():
        video = _lock_video(video_id)
        if status in ("completed", "success"):
            data: dict[str, Any] = {"source": "n8n", "video_path": video_path, "thumbnail_path": thumbnail_path}
            fields: dict[str, Any] = {"video_path": video_path}
            if thumbnail_path:
                fields["thumbnail_path"] = thumbnail_path
            if audio_path:
                fields["audio_path"] = audio_path
            if duration_seconds is not None:
                data["duration_seconds"] = float(duration_seconds)
                fields["metadata"] = {**(video.metadata or {}), "duration_seconds": float(duration_seconds)}
            # Assets and status change in one save, through the state machine.
            video = video_transition(
                video=video, to_status="ready", reason="n8n render completed", data=data, fields=fields
            )

        else:
            message = error or "Render failed in n8n"
            video = video_transition(
                video=video,
                to_status="failed",
                reason="n8n render failed",
                data={"source": "n8n"},
                error_message=message,
            )
        if schedule_upload:
            # Once this commits the pipeline releases its render holds and queues the upload.
            from videos.pipeline import pipeline_render_settled

            settled_id = video.pk
            transaction.on_commit(lambda: pipeline_render_settled(video_id=settled_id))
        for item in costs:
            cost_record(
                video=video,
                service=item["service"],
                amount=item["amount"],
                metadata={**(item.get("metadata") or {}), "source": "n8n"},
            )
        total = cost_video_total(video=video)
        # The ledger may have acted on the video (e.g. cancelled it over the limit).
        video.refresh_from_db(fields=["status"])
    return {
        "status": "received",
        "video_id": str(video.pk),
        "video_status": video.status,
        "costs_recorded": len(costs),
        "total_cost": _money(total),
    }


def n8n_progress(*, video_id, step: str, percent: int, message: str = "") -> dict:
    """Store the render step and percent on a processing video (``metadata["progress"]`` plus a
    history event). Progress for a video that is no longer processing, or older than what is
    stored (deliveries can arrive out of order), is acknowledged and ignored."""
    from videos.models import Video
    from videos.services import ProgressIgnoredError, video_set_progress

    video = Video.objects.filter(pk=video_id).only("id").first()
    if video is None:
        raise NotFoundError("Video not found")
    try:
        progress = video_set_progress(video=video, step=step, percent=percent, message=message)
    except ProgressIgnoredError as exc:
        return {"status": "ignored", "video_id": str(video.pk), "applied": False, "reason": exc.message}
    return {"status": "received", "video_id": str(video.pk), "applied": True, "progress": progress}


def n8n_cost_alert(*, video_id, current_cost: Decimal | None = None, service: str = "") -> dict:
    """Answer whether n8n may keep spending on a video: ``{"action": "STOP"|"CONTINUE", "reason"}``.

    The cost is the larger of what n8n reports and the costs ledger. At or over
    ``MAX_COST_PER_VIDEO`` the answer is STOP and an active video is cancelled with "Cost limit
    exceeded" (as the costs ledger does); when the daily/monthly budget is exhausted the answer is
    STOP and a processing video is failed (retryable). A cancelled/failed/finished video gets STOP.
    At the warning threshold the video is switched to the economy level and the answer is CONTINUE.
    """
    from costs.services import cost_budget_paused, cost_video_total
    from videos.services import video_set_optimization_level, video_transition

    max_cost = Decimal(settings.MAX_COST_PER_VIDEO)
    warning = Decimal(settings.WARNING_COST_THRESHOLD)
    with transaction.atomic():
        video = _lock_video(video_id)
        recorded = cost_video_total(video=video)
        total = max(Decimal(recorded), Decimal(current_cost or 0))
        answer: dict[str, Any] = {
            "video_id": str(video.pk),
            "current_cost": _money(total),
            "max_cost": _money(max_cost),
            "remaining_budget": _money(max(Decimal(0), max_cost - total)),
        }
        if total >= max_cost:
            if video.status in ("queued", "processing"):
                # The same outcome the costs ledger applies when a recorded charge crosses the limit.
                video_transition(
                    video=video,
                    to_status="cancelled",
                    reason="n8n cost alert: cost_exceeded",
                    data={"source": "n8n", "current_cost": _money(total), "service": service},
                    error_message=f"Cost limit exceeded: ${total:.2f}",
                )
            logger.warning("n8n told to stop: cost exceeded", extra={"video_id": str(video.pk)})
            return {**answer, "action": "STOP", "reason": "cost_exceeded"}
        if video.status in ("cancelled", "failed"):
            return {**answer, "action": "STOP", "reason": f"video_{video.status}"}
        if video.status not in ("queued", "processing"):
            return {**answer, "action": "STOP", "reason": "video_not_processing"}
        if cost_budget_paused():
            if video.status == "processing":
                video_transition(
                    video=video,
                    to_status="failed",
                    reason="n8n cost alert: budget_exhausted",
                    data={"source": "n8n", "current_cost": _money(total), "service": service},
                    error_message="Platform cost budget exhausted; retry after the budget resets",
                )
            logger.warning("n8n told to stop: budget exhausted", extra={"video_id": str(video.pk)})
            return {**answer, "action": "STOP", "reason": "budget_exhausted"}
        if total >= warning:
            if video.optimization_level != "economy":
                video_set_optimization_level(
                    video=video, level="economy", reason=f"cost ${total:.2f} reached the warning threshold"
                )
            return {**answer, "action": "CONTINUE", "reason": "warning_threshold_economy_mode"}
        return {**answer, "action": "CONTINUE", "reason": "within_limits"}
