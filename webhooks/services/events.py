"""The delivery log and the idempotent receive step shared by every webhook source.

``_event_row`` is the one place a WebhookEvent is built: every text it is given (ids, payload,
response, error) is made storable there (NUL and unpaired surrogates become U+FFFD), so writing
the log can never fail on what a sender put in a delivery.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from prometheus_client import Counter
from rest_framework.exceptions import ValidationError as DRFValidationError

from ytempire.core.exceptions import ApplicationError, ConflictError
from ytempire.core.logging import redact

from ..models import WebhookEvent, WebhookResult
from ..storable import BODY_KEY, body_for_log, storable_json, storable_text

logger = logging.getLogger(__name__)

Handler = Callable[[dict], dict]
MAX_ERROR_CHARS = 2000
# One count per logged delivery row (summed over the web processes in multiprocess mode).
DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook deliveries logged, by source and result (processed, duplicate, rejected, failed)",
    ["source", "result"],
)


def _count(event: WebhookEvent) -> None:
    DELIVERIES.labels(source=event.source, result=event.result).inc()


@dataclass(frozen=True)
class ReceiveOutcome:
    """What a receive produced: the response body, whether it was a duplicate, and the logged row."""

    response: dict
    duplicate: bool
    event: WebhookEvent


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ApplicationError):
        text = exc.message
    elif isinstance(exc, DRFValidationError):
        text = f"Invalid body: {exc.detail}"
    elif isinstance(exc, DjangoValidationError):
        text = f"Invalid body: {exc.messages}"
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    return storable_text(redact(text))[:MAX_ERROR_CHARS]


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, ApplicationError):
        return exc.status_code
    if isinstance(exc, (DRFValidationError, DjangoValidationError)):
        return 400
    return 500


def _event_row(
    *,
    source: str,
    event_id: str,
    event_type: str,
    result: str,
    signature_valid: bool,
    payload: Any = None,
    response: dict | None = None,
    status_code: int | None = None,
    error: str = "",
    body_bytes: int = 0,
    processed_at=None,
) -> WebhookEvent:
    """Build (not save) a log row; see the module doc."""
    return WebhookEvent(
        source=source,
        event_id=storable_text(event_id or "")[:255],
        event_type=storable_text(event_type or "")[:100],
        signature_valid=signature_valid,
        payload=storable_json(payload if payload is not None else {}),
        response=storable_json(response or {}),
        result=result,
        status_code=status_code,
        error=storable_text(redact(error or ""))[:MAX_ERROR_CHARS],
        body_bytes=body_bytes,
        processed_at=processed_at,
    )


def webhook_log_refusal(
    *,
    source: str,
    error: str,
    status_code: int,
    event_id: str = "",
    event_type: str = "",
    body: bytes = b"",
    body_bytes: int | None = None,
    signature_valid: bool = False,
) -> WebhookEvent:
    """Log a delivery refused before any effect (bad signature, too large, unreadable body).

    The row keeps a safe rendering of the body (``storable.body_for_log``): the JSON object as
    sent when it can be stored as is, else the text with NUL shown as U+FFFD.
    """
    event = _event_row(
        source=source,
        event_id=event_id,
        event_type=event_type,
        result=WebhookResult.REJECTED,
        signature_valid=signature_valid,
        payload=body_for_log(body),
        status_code=status_code,
        error=error,
        body_bytes=len(body) if body_bytes is None else body_bytes,
    )
    event.save()
    _count(event)
    logger.warning(
        "webhook refused",
        extra={
            "source": source,
            "event_type": event.event_type,
            "event_id": event.event_id,
            "status": status_code,
            "error": event.error,
        },
    )
    return event


def _run_once(*, event: WebhookEvent, handler: Handler) -> dict:
    """Claim the idempotency key and apply the effect in one transaction.

    The ``processed`` row and the effect commit together or not at all. A concurrent delivery
    of the same id waits on the partial unique index until this transaction ends, then gets an
    IntegrityError (the key is taken) or proceeds (this one rolled back).
    """
    with transaction.atomic():
        event.result = WebhookResult.PROCESSED
        event.signature_valid = True
        event.save()
        response = handler(event.payload)
        event.response = storable_json(response)
        event.status_code = 200
        event.processed_at = timezone.now()
        event.error = ""
        event.save(update_fields=["response", "status_code", "processed_at", "error", "updated_at"])
    return response


def _original(*, source: str, event_id: str) -> WebhookEvent | None:
    return (
        WebhookEvent.objects.filter(source=source, event_id=event_id, result=WebhookResult.PROCESSED)
        .only("event_type", "response")
        .first()
    )


def webhook_receive(
    *,
    source: str,
    event_id: str,
    event_type: str,
    payload: dict,
    handler: Handler,
    body_bytes: int = 0,
) -> ReceiveOutcome:
    """Process a verified delivery exactly once per (source, event id).

    - First delivery: the handler's effect and a ``processed`` log row commit together;
      returns the handler's response.
    - Same id again (sequential or concurrent): nothing happens; a ``duplicate`` row is logged
      and the original response is returned with ``duplicate: true``.
    - Handler refuses (ApplicationError, validation error) or crashes: everything it did is
      rolled back, a ``failed`` row (``rejected`` for an invalid body) is logged with the
      reason, and the exception propagates so the caller answers 4xx/5xx. The key stays free,
      so a corrected retry can still succeed.
    """
    event = _event_row(
        source=source,
        event_id=event_id,
        event_type=event_type,
        result=WebhookResult.RECEIVED,
        signature_valid=True,
        payload=payload,
        body_bytes=body_bytes,
    )
    try:
        response = _run_once(event=event, handler=handler)
    except IntegrityError:
        original = _original(source=source, event_id=event.event_id)
        if original is None:
            # Not our unique key: a genuine integrity problem inside the handler.
            error = ConflictError("Conflicting data; nothing was changed")
            _log_failure(event=event, exc=error, status=409)
            raise error from None
        if original.event_type != event_type:
            error = ConflictError(
                f"webhook-id {event_id} was already used for a '{original.event_type}' delivery; ids must be unique"
            )
            _log_failure(event=event, exc=error, status=409)
            raise error from None
        response = {**original.response, "duplicate": True}
        duplicate = _event_row(
            source=source,
            event_id=event_id,
            event_type=event_type,
            result=WebhookResult.DUPLICATE,
            signature_valid=True,
            payload=payload,
            response=response,
            status_code=200,
            body_bytes=body_bytes,
            processed_at=timezone.now(),
        )
        duplicate.save()
        _count(duplicate)
        logger.info("webhook duplicate ignored", extra={"source": source, "event_id": event_id})
        return ReceiveOutcome(response=response, duplicate=True, event=duplicate)
    except Exception as exc:
        _log_failure(event=event, exc=exc, status=_status_of(exc))
        raise
    _count(event)
    logger.info("webhook processed", extra={"source": source, "event_type": event_type, "event_id": event_id})
    return ReceiveOutcome(response=response, duplicate=False, event=event)


def _log_failure(*, event: WebhookEvent, exc: BaseException, status: int) -> None:
    invalid_body = isinstance(exc, (DRFValidationError, DjangoValidationError))
    failed = _event_row(
        source=event.source,
        event_id=event.event_id,
        event_type=event.event_type,
        result=WebhookResult.REJECTED if invalid_body else WebhookResult.FAILED,
        signature_valid=True,
        payload=event.payload,
        status_code=status,
        error=_error_text(exc),
        body_bytes=event.body_bytes,
        processed_at=timezone.now(),
    )
    failed.save()
    _count(failed)
    if status >= 500:
        logger.exception("webhook handler crashed", extra={"source": event.source, "event_id": event.event_id})
    else:
        logger.warning(
            "webhook refused by its handler",
            extra={"source": event.source, "event_id": event.event_id, "status": status},
        )


def webhook_reprocess(*, event: WebhookEvent, handler: Handler) -> WebhookEvent:
    """Re-run a stored, signature-verified delivery that did not take effect (staff action).

    The stored row itself becomes the ``processed`` one, under the same unique constraint, so
    re-processing can never apply an event twice. Raises ConflictError when the event was
    never verified or its id has already been processed; handler errors are recorded on the
    row and re-raised.
    """
    if not event.signature_valid:
        raise ConflictError("Only deliveries with a valid signature can be re-processed")
    if not event.event_id:
        raise ConflictError("The delivery has no event id")
    if isinstance(event.payload, dict) and set(event.payload) == {BODY_KEY}:
        raise ConflictError("The delivery's body was refused as unreadable; only its text was kept")
    if WebhookEvent.objects.filter(
        source=event.source, event_id=event.event_id, result=WebhookResult.PROCESSED
    ).exists():
        raise ConflictError(f"Event {event.event_id} has already been processed")
    try:
        with transaction.atomic():
            locked = WebhookEvent.objects.select_for_update().get(pk=event.pk)
            locked.result = WebhookResult.PROCESSED
            locked.save(update_fields=["result", "updated_at"])
            locked.response = storable_json(handler(locked.payload))
            locked.status_code = 200
            locked.error = ""
            locked.processed_at = timezone.now()
            locked.save(update_fields=["response", "status_code", "error", "processed_at", "updated_at"])
    except IntegrityError:
        raise ConflictError(f"Event {event.event_id} has already been processed") from None
    except Exception as exc:
        WebhookEvent.objects.filter(pk=event.pk).update(
            result=WebhookResult.FAILED,
            error=_error_text(exc),
            status_code=_status_of(exc),
            processed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    logger.info("webhook re-processed", extra={"source": event.source, "event_id": event.event_id})
    return locked
