"""The one place webhook deliveries are authenticated, and their bodies made safe to keep.

``n8n_verify`` (Standard Webhooks) and ``stripe_verify`` (Stripe-Signature) check the signature
over the exact bytes received, then parse the body. What they return is a JSON object that
PostgreSQL can store: a signed body holding NUL (U+0000), an unpaired surrogate escape or a
hostile nesting depth is refused here with a 400 naming the field, before anything is written.

Errors: WebhookSignatureError (401: unsigned, wrongly signed, outside the time window; answered
with the seed's ``{"detail": "Could not validate credentials"}`` and the reason as ``code``, the
full message going to the delivery log),
WebhookBodyError (400, validation shape ``{"detail", "errors": [{"field", "message"}]}``),
ServiceUnavailableError (503: the secret is not configured).
"""

import time
from collections.abc import Mapping
from typing import Any

import stripe
from django.conf import settings
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ytempire.core.exceptions import ApplicationError, AuthenticationError, ServiceUnavailableError
from ytempire.core.storable import parse_json, unstorable_in, unstorable_reason

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
STRIPE_SIGNATURE_HEADER = "Stripe-Signature"


class WebhookSignatureError(AuthenticationError):
    """401: the delivery is not signed, or not signed with our secret, or not recent.

    ``code``: signature_missing, signature_malformed, signature_invalid, timestamp_invalid,
    timestamp_expired or timestamp_in_future."""

    default_message = "Invalid webhook signature"
    default_code = "signature_invalid"


class WebhookBodyError(ApplicationError):
    """400: the body cannot be accepted (malformed JSON, not an object, text that cannot be stored).

    Rendered in the validation shape: ``detail`` plus ``errors`` naming the field (``body`` when
    the problem is the body as a whole). ``signature_verified`` says whether the signature had
    been checked before the body was refused (the log records it).
    """

    status_code = 400
    default_message = "Malformed webhook body"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str = "body",
        field_message: str | None = None,
        signature_verified: bool = True,
    ):
        message = message or self.default_message
        self.signature_verified = signature_verified
        super().__init__(message, extra={"errors": [{"field": field, "message": field_message or message}]})


def _tolerance() -> int:
    return int(getattr(settings, "WEBHOOK_TOLERANCE_SECONDS", 300))


def _json_object(text: str) -> dict[str, Any]:
    """Parse a verified body: a JSON object PostgreSQL can store, or WebhookBodyError."""
    reason = unstorable_reason(text)
    if reason:  # a raw NUL byte: no JSON parser would accept it inside a string anyway
        raise WebhookBodyError(f"The body cannot be accepted: {reason}", field_message=reason)
    try:
        data = parse_json(text)
    except ValueError as exc:
        raise WebhookBodyError(f"Malformed JSON body: {getattr(exc, 'msg', None) or exc}") from None
    if not isinstance(data, dict):
        raise WebhookBodyError("The body must be a JSON object")
    found = unstorable_in(data)
    if found:
        field, message = found
        raise WebhookBodyError(f"The body cannot be accepted: {message}", field=field, field_message=message)
    return data


# --- N8N: Standard Webhooks 1.0 --------------------------------------------------------------


def _n8n_webhook() -> Webhook:
    secret = getattr(settings, "N8N_WEBHOOK_SECRET", "")
    if not secret:
        raise ServiceUnavailableError("N8N webhook secret is not configured")
    try:
        return Webhook(secret)
    except Exception:
        # Never echo the secret; say what is wrong with it.
        raise ServiceUnavailableError("N8N webhook secret is not a valid whsec_<base64> value") from None


def n8n_verify(*, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Verify a Standard Webhooks 1.0 delivery over the raw body and return the parsed JSON object.

    Headers ``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
    (space-separated ``v1,<base64>``; any one may match, so the secret can be rotated) are
    checked with the ``standardwebhooks`` package against ``N8N_WEBHOOK_SECRET``. A timestamp
    more than ``WEBHOOK_TOLERANCE_SECONDS`` old or ahead is refused (the package itself also
    never accepts more than 5 minutes). Raises WebhookSignatureError (401) with the reason, then
    WebhookBodyError (400) for a signed body that cannot be accepted (see the module doc).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [name for name in SIGNATURE_HEADERS if not lowered.get(name)]
    if missing:
        raise WebhookSignatureError(
            f"Missing webhook signature header(s): {', '.join(missing)}", code="signature_missing"
        )
    webhook = _n8n_webhook()
    raw_ts = lowered["webhook-timestamp"]
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise WebhookSignatureError(
            "Invalid webhook-timestamp header: expected unix seconds", code="timestamp_invalid"
        ) from None
    skew = int(time.time()) - timestamp
    if skew > _tolerance():
        raise WebhookSignatureError(
            "Webhook timestamp too old: the delivery is outside the tolerance window", code="timestamp_expired"
        )
    if -skew > _tolerance():
        raise WebhookSignatureError(
            "Webhook timestamp too new: the delivery is outside the tolerance window", code="timestamp_in_future"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookSignatureError("Invalid webhook signature: the body is not UTF-8") from None
    try:
        webhook.verify(text, {name: lowered[name] for name in SIGNATURE_HEADERS}, json_parse=False)
    except WebhookVerificationError as exc:
        raise WebhookSignatureError(f"Invalid webhook signature: {exc}") from None
    except (ValueError, TypeError):  # malformed "v1,<base64>" entries
        raise WebhookSignatureError(
            "Invalid webhook signature: malformed webhook-signature header", code="signature_malformed"
        ) from None
    reason = unstorable_reason(lowered["webhook-id"])
    if reason:  # signed, but the idempotency key could not be stored
        raise WebhookBodyError(f"Invalid webhook-id header: {reason}", field="webhook-id")
    return _json_object(text)


# --- Stripe -----------------------------------------------------------------------------------


def stripe_verify(*, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Verify a Stripe delivery (``stripe.Webhook.construct_event``: ``t=<ts>,v1=<hex HMAC-SHA256>``
    over ``"<ts>.<body>"`` with ``STRIPE_WEBHOOK_SECRET``, older than ``WEBHOOK_TOLERANCE_SECONDS``
    refused) and return the event as a JSON object.

    Raises ServiceUnavailableError (503) without a secret, WebhookBodyError (400) for a body that
    is not UTF-8 (before the signature can be checked) or, once signed, cannot be accepted, and
    WebhookSignatureError (401, "Invalid Stripe signature: ...").
    """
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise ServiceUnavailableError("Stripe webhook secret is not configured")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookBodyError("Malformed JSON body", signature_verified=False) from None
    try:
        stripe.Webhook.construct_event(
            text, headers.get(STRIPE_SIGNATURE_HEADER), secret, tolerance=settings.WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        reason = str(exc.user_message or exc)
        code = "timestamp_expired" if "tolerance" in reason.lower() else "signature_invalid"
        if not headers.get(STRIPE_SIGNATURE_HEADER):
            code = "signature_missing"
        raise WebhookSignatureError(f"Invalid Stripe signature: {reason}", code=code) from None
    except Exception as exc:  # signed, but the library cannot read it as an event
        _json_object(text)  # the precise 400 for a malformed, non-object or unstorable body
        raise WebhookBodyError(f"Not a Stripe event: {exc.__class__.__name__}") from None
    return _json_object(text)
