"""The Stripe API client and the translation of its errors into ours (never leaking the key)."""

import logging

import stripe
from django.conf import settings

from ytempire.core.exceptions import ApplicationError, ServiceUnavailableError
from ytempire.core.logging import redact

logger = logging.getLogger(__name__)


class PaymentProviderError(ApplicationError):
    status_code = 502
    default_message = "The payment provider refused the request"


class BillingNotConfiguredError(ServiceUnavailableError):
    default_message = "Billing is not configured"


def stripe_client() -> stripe.StripeClient:
    """A StripeClient with our key, the configurable API base and bounded timeouts and retries."""
    key = getattr(settings, "STRIPE_SECRET_KEY", "")
    if not key:
        raise BillingNotConfiguredError("Billing is not configured: STRIPE_SECRET_KEY is not set")
    base = getattr(settings, "STRIPE_API_BASE", "")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2)),
        http_client=stripe.RequestsClient(timeout=float(getattr(settings, "STRIPE_TIMEOUT_SECONDS", 10))),
    )


def stripe_call(description: str, func, *args, **kwargs):
    """Run one Stripe call and turn its errors into our error shapes: unreachable or 5xx -> 503,
    rejected key -> 503 (misconfigured), any other refusal -> 502 with Stripe's (redacted) message."""
    try:
        return func(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        logger.warning("stripe unavailable", extra={"call": description, "error": exc.__class__.__name__})
        raise ServiceUnavailableError("The payment provider is unavailable; try again shortly") from None
    except stripe.AuthenticationError:
        logger.error("stripe rejected our API key", extra={"call": description})
        raise BillingNotConfiguredError("Billing is misconfigured: the payment provider rejected the API key") from None
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None) or 0
        message = redact(getattr(exc, "user_message", None) or str(getattr(exc, "_message", "") or exc))
        logger.warning("stripe error", extra={"call": description, "status": status, "stripe_message": message})
        if status >= 500:
            raise ServiceUnavailableError("The payment provider is unavailable; try again shortly") from None
        raise PaymentProviderError(f"The payment provider refused the request: {message}") from None
