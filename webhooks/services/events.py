"""The delivery log and the idempotent receive step shared by every webhook source."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DRFValidationError

from ytempire.core.exceptions import ApplicationError, ConflictError
from ytempire.core.logging import redact

from ..models import WebhookEvent, WebhookResult

logger = logging.getLogger(__name__)

Handler = Callable[[dict], dict]
MAX_ERROR_CHARS = 2000


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
    return redact(text)[:MAX_ERROR_CHARS]


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, ApplicationError):
        return exc.status_code
    if isinstance(exc, (DRFValidationError, DjangoValidationError)):
        return 400
    return 500


def webhook_log_refusal(
    *,
    source: str,
    error: str,
    status_code: int,
    event_id: str = "",
    event_type: str = "",
    payload: Any = None,
    body_bytes: int = 0,
    signature_valid: bool = False,
) -> WebhookEvent:
    """Log a delivery refused before any effect (bad signature, too large, malformed)."""
    event = WebhookEvent(
        source=source,
        event_id=(event_id or "")[:255],
        event_type=(event_type or "")[:100],
        signature_valid=signature_valid,
        payload=payload if isinstance(payload, dict) else ({} if payload is None else {"_body": payload}),
        result=WebhookResult.REJECTED,
        status_code=status_code,
        error=redact(error)[:MAX_ERROR_CHARS],
        body_bytes=body_bytes,
    )
    event.save()
    logger.warning(
        "webhook refused",
        extra={"source": source, "event_type": event_type, "event_id": event_id, "status": status_code},
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
        event.response = response
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
    event = WebhookEvent(
        source=source,
        event_id=event_id[:255],
        event_type=event_type[:100],
        signature_valid=True,
        payload=payload,
        body_bytes=body_bytes,
    )
    try:
        response = _run_once(event=event, handler=handler)
    except IntegrityError:
        original = _original(source=source, event_id=event_id)
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
        duplicate = WebhookEvent(
            source=source,
            event_id=event_id[:255],
            event_type=event_type[:100],
            signature_valid=True,
            payload=payload,
            body_bytes=body_bytes,
            result=WebhookResult.DUPLICATE,
            response=response,
            status_code=200,
            processed_at=timezone.now(),
        )
        duplicate.save()
        logger.info("webhook duplicate ignored", extra={"source": source, "event_id": event_id})
        return ReceiveOutcome(response=response, duplicate=True, event=duplicate)
    except Exception as exc:
        _log_failure(event=event, exc=exc, status=_status_of(exc))
        raise
    logger.info("webhook processed", extra={"source": source, "event_type": event_type, "event_id": event_id})
    return ReceiveOutcome(response=response, duplicate=False, event=event)


def _log_failure(*, event: WebhookEvent, exc: BaseException, status: int) -> None:
    invalid_body = isinstance(exc, (DRFValidationError, DjangoValidationError))
    failed = WebhookEvent(
        source=event.source,
        event_id=event.event_id,
        event_type=event.event_type,
        signature_valid=True,
        payload=event.payload,
        body_bytes=event.body_bytes,
        result=WebhookResult.REJECTED if invalid_body else WebhookResult.FAILED,
        status_code=status,
        error=_error_text(exc),
        processed_at=timezone.now(),
    )
    failed.save()
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
    if WebhookEvent.objects.filter(
        source=event.source, event_id=event.event_id, result=WebhookResult.PROCESSED
    ).exists():
        raise ConflictError(f"Event {event.event_id} has already been processed")
    try:
        with transaction.atomic():
            locked = WebhookEvent.objects.select_for_update().get(pk=event.pk)
            locked.result = WebhookResult.PROCESSED
            locked.save(update_fields=["result", "updated_at"])
            locked.response = handler(locked.payload)
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
