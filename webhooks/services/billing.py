"""Stripe billing: Checkout and Customer Portal sessions, and the subscription webhooks.

Outbound calls go through ``stripe.StripeClient`` (``STRIPE_SECRET_KEY``, base address
``STRIPE_API_BASE`` when set). Inbound events are verified by the view with
``stripe.Webhook.construct_event`` and applied here, inside ``webhook_receive``'s transaction:

- the user's row is locked first, so events for one user are applied one at a time;
- each subscription keeps the state of the newest event seen (event ``created``, then a rank
  checkout < created < updated < deleted for ties); an older event arriving late is ignored,
  and a cancelled subscription never comes back (Stripe cannot revive one);
- the user's tier is the best tier among their entitled subscriptions (active, trialing,
  past_due), else free; limits follow through ``accounts.services.user_set_tier`` and, when the
  channel limit shrinks, ``channels.services.channel_enforce_limit`` pauses automation on the
  channels over the limit (nothing is deleted).
"""

import hashlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import user_set_billing_ids
from ytempire.core.exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
)
from ytempire.core.logging import redact

from ..models import ENTITLED_STATUSES, BillingSubscription, SubscriptionStatus

logger = logging.getLogger(__name__)

FREE_TIER = "free"
EVENT_RANK = {
    "checkout.session.completed": 0,
    "customer.subscription.created": 1,
    "customer.subscription.updated": 2,
    "customer.subscription.deleted": 3,
}
HANDLED_EVENTS = frozenset({*EVENT_RANK, "invoice.payment_failed"})


class PaymentProviderError(ApplicationError):
    status_code = 502
    default_message = "The payment provider refused the request"


class BillingNotConfiguredError(ServiceUnavailableError):
    default_message = "Billing is not configured"


# --- Stripe client ---------------------------------------------------------------------


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


def _call_stripe(description: str, func, *args, **kwargs):
    """Run one Stripe call and turn its errors into our error shapes (never leaking the key)."""
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


# --- Tiers and prices ------------------------------------------------------------------


def _tier_order() -> list[str]:
    return list(settings.TIERS)


def _price_for(tier: str) -> str:
    prices = getattr(settings, "STRIPE_PRICE_IDS", {})
    price = prices.get(tier, "")
    if not price:
        raise BillingNotConfiguredError(f"Billing is not configured for the {tier} tier (no Stripe price id)")
    return price


def _tier_for_price(price_id: str) -> str | None:
    for tier, price in getattr(settings, "STRIPE_PRICE_IDS", {}).items():
        if price and price == price_id:
            return tier
    return None


def paid_tiers() -> list[str]:
    return [tier for tier in _tier_order() if tier != FREE_TIER]


# --- Checkout and portal -------------------------------------------------------------


def _ensure_customer(*, client: stripe.StripeClient, user: User) -> str:
    """Return the user's Stripe customer id, creating the customer once.

    The user row is locked while the customer is created, and the create call carries an
    idempotency key derived from the user, so concurrent checkouts never make two customers.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.stripe_customer_id:
            user.stripe_customer_id = locked.stripe_customer_id
            return locked.stripe_customer_id
        fingerprint = hashlib.sha256(locked.email.encode()).hexdigest()[:12]
        customer = _call_stripe(
            "customers.create",
            client.v1.customers.create,
            params={
                "email": locked.email,
                "name": locked.full_name or locked.email,
                "metadata": {"user_id": str(locked.pk)},
            },
            options={"idempotency_key": f"ytempire-customer-{locked.pk}-{fingerprint}"},
        )
        user_set_billing_ids(user=locked, customer_id=customer.id)
        user.stripe_customer_id = customer.id
        logger.info("stripe customer created", extra={"customer_id": customer.id})
        return customer.id


def billing_checkout_create(*, user: User, tier: str) -> dict[str, str]:
    """Create a Stripe Checkout Session for a subscription to ``tier`` and return its URL.

    Refuses the free tier and unknown tiers (400), a tier without a configured price (503) and a
    user who already has an active subscription (409: plan changes go through the portal).
    """
    if tier not in paid_tiers():
        raise ApplicationError(f"Unknown paid tier '{tier}'; choose one of: {', '.join(paid_tiers())}")
    price = _price_for(tier)
    if BillingSubscription.objects.filter(user=user, status__in=ENTITLED_STATUSES).exists():
        raise ConflictError("You already have an active subscription; change plans in the billing portal")
    client = stripe_client()
    customer_id = _ensure_customer(client=client, user=user)
    metadata = {"user_id": str(user.pk), "tier": tier}
    frontend = settings.FRONTEND_URL.rstrip("/")
    session = _call_stripe(
        "checkout.sessions.create",
        client.v1.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(user.pk),
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": f"{frontend}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{frontend}/billing/cancel",
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        },
    )
    logger.info("checkout session created", extra={"tier": tier, "session_id": session.id})
    return {"checkout_url": session.url, "session_id": session.id, "tier": tier}


def billing_portal_create(*, user: User) -> dict[str, str]:
    """Create a Stripe Customer Portal session for the user's customer; 409 if they have none yet."""
    if not user.stripe_customer_id:
        raise ConflictError("No billing account yet: subscribe through checkout first")
    client = stripe_client()
    session = _call_stripe(
        "billing_portal.sessions.create",
        client.v1.billing_portal.sessions.create,
        params={"customer": user.stripe_customer_id, "return_url": f"{settings.FRONTEND_URL.rstrip('/')}/billing"},
    )
    return {"portal_url": session.url}


# --- Webhook events ----------------------------------------------------------------------


def _ts(value: Any) -> datetime | None:
    if value in (None, "", 0):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _id_of(value: Any) -> str:
    """Stripe sends either an id or an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _valid_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError):
        return None


def _locked_user(*, user_id: Any = None, customer_id: str = "") -> User:
    """Find the user an event is about (our metadata first, then the Stripe customer) and lock it."""
    user = None
    pk = _valid_uuid(user_id)
    if pk:
        user = User.objects.select_for_update().filter(pk=pk).first()
    if user is None and customer_id:
        user = User.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
    if user is None:
        raise NotFoundError("No user matches this Stripe event (metadata user_id / customer)")
    return user


def _link_customer(*, user: User, customer_id: str) -> None:
    if not customer_id or user.stripe_customer_id == customer_id:
        return
    if user.stripe_customer_id:
        logger.warning(
            "stripe event for a second customer of one user; keeping the first", extra={"user": str(user.pk)}
        )
        return
    if User.objects.filter(stripe_customer_id=customer_id).exclude(pk=user.pk).exists():
        raise ConflictError("This Stripe customer belongs to another user")
    user_set_billing_ids(user=user, customer_id=customer_id)


def _apply_state(
    *,
    user: User,
    subscription_id: str,
    state: dict[str, Any],
    event_id: str,
    created: int,
    rank: int,
) -> tuple[BillingSubscription, bool]:
    """Store a subscription state unless a newer one is already stored. Returns (row, applied)."""
    row = BillingSubscription.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
    if row is not None:
        if row.user_id != user.pk:
            raise ConflictError("This Stripe subscription belongs to another user")
        if row.status == SubscriptionStatus.CANCELED and state["status"] != SubscriptionStatus.CANCELED:
            return row, False
        if (created, rank) < (row.state_event_created, row.state_event_rank):
            return row, False
    else:
        row = BillingSubscription(user=user, stripe_subscription_id=subscription_id)
    for field, value in state.items():
        if value is not None:
            setattr(row, field, value)
    row.state_event_id = event_id
    row.state_event_created = created
    row.state_event_rank = rank
    row.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    row.save()
    return row, True


def billing_sync_user_tier(*, user: User) -> User:
    """Make the user's tier, limits and subscription id follow their entitled subscriptions.

    Call with the user row locked (inside a transaction). When the channel limit shrinks, the
    channels over the new limit have automation paused (never deleted).
    """
    from accounts.services import user_set_tier
    from channels.services import channel_enforce_limit

    order = _tier_order()
    entitled = [
        sub
        for sub in BillingSubscription.objects.filter(user=user, status__in=ENTITLED_STATUSES).order_by("-created_at")
        if sub.tier in order
    ]
    best = max(entitled, key=lambda sub: order.index(sub.tier), default=None)
    tier = best.tier if best else FREE_TIER
    subscription_id = best.stripe_subscription_id if best else ""
    user_set_billing_ids(user=user, subscription_id=subscription_id)
    if user.tier != tier:
        old_tier, old_limit = user.tier, user.channel_limit
        user = user_set_tier(user=user, tier=tier)
        logger.info("tier changed by billing", extra={"from_tier": old_tier, "to_tier": tier, "user": str(user.pk)})
        if user.channel_limit < old_limit:
            paused = channel_enforce_limit(user=user)
            logger.info("downgrade paused channels", extra={"paused": paused, "user": str(user.pk)})
    return user


def _subscription_state(subscription: dict[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    items = ((subscription.get("items") or {}).get("data")) or []
    first = items[0] if items else {}
    price_id = _id_of(first.get("price")) if first else ""
    metadata = subscription.get("metadata") or {}
    tier = _tier_for_price(price_id) if price_id else None
    if tier is None and metadata.get("tier") in paid_tiers() and (deleted or not price_id):
        tier = metadata["tier"]
    if tier is None and deleted:
        tier = FREE_TIER  # a cancellation always applies, even for a price we no longer know
    if tier is None:
        raise ApplicationError(
            f"Stripe price '{price_id}' is not one of the configured STRIPE_PRICE_IDS", status_code=422
        )
    status = subscription.get("status") or ""
    if status not in SubscriptionStatus.values:
        raise ApplicationError(f"Unknown Stripe subscription status '{status}'", status_code=422)
    # API versions from 2025-03 carry the period on the items.
    period_end = subscription.get("current_period_end") or first.get("current_period_end")
    return {
        "stripe_customer_id": _id_of(subscription.get("customer")),
        "status": status,
        "tier": tier,
        "price_id": price_id,
        "current_period_end": _ts(period_end),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
        "canceled_at": _ts(subscription.get("canceled_at") or subscription.get("ended_at")),
    }


def _handle_checkout_completed(*, event_id: str, created: int, session: dict[str, Any]) -> dict[str, Any]:
    if session.get("mode") != "subscription" or not session.get("subscription"):
        return {"handled": False, "reason": "not a subscription checkout"}
    metadata = session.get("metadata") or {}
    customer_id = _id_of(session.get("customer"))
    user = _locked_user(user_id=session.get("client_reference_id") or metadata.get("user_id"), customer_id=customer_id)
    _link_customer(user=user, customer_id=customer_id)
    tier = metadata.get("tier")
    if tier not in paid_tiers():
        raise ApplicationError(f"Checkout session carries no valid tier ('{tier}')", status_code=422)
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    state = {
        "stripe_customer_id": customer_id,
        "status": SubscriptionStatus.ACTIVE if paid else SubscriptionStatus.INCOMPLETE,
        "tier": tier,
        "price_id": None,
        "current_period_end": None,
        "cancel_at_period_end": None,
        "canceled_at": None,
    }
    row, applied = _apply_state(
        user=user,
        subscription_id=_id_of(session.get("subscription")),
        state=state,
        event_id=event_id,
        created=created,
        rank=EVENT_RANK["checkout.session.completed"],
    )
    user = billing_sync_user_tier(user=user)
    return {"handled": True, "applied": applied, "subscription_status": row.status, "tier": user.tier}


def _handle_subscription(*, event_type: str, event_id: str, created: int, subscription: dict) -> dict[str, Any]:
    state = _subscription_state(subscription, deleted=event_type == "customer.subscription.deleted")
    metadata = subscription.get("metadata") or {}
    user = _locked_user(user_id=metadata.get("user_id"), customer_id=state["stripe_customer_id"])
    _link_customer(user=user, customer_id=state["stripe_customer_id"])
    if event_type == "customer.subscription.deleted":
        state["status"] = SubscriptionStatus.CANCELED
    row, applied = _apply_state(
        user=user,
        subscription_id=_id_of(subscription.get("id")),
        state=state,
        event_id=event_id,
        created=created,
        rank=EVENT_RANK[event_type],
    )
    user = billing_sync_user_tier(user=user)
    return {"handled": True, "applied": applied, "subscription_status": row.status, "tier": user.tier}


def _handle_payment_failed(*, created: int, invoice: dict[str, Any]) -> dict[str, Any]:
    parent = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    subscription_id = _id_of(invoice.get("subscription") or parent.get("subscription"))
    customer_id = _id_of(invoice.get("customer"))
    user = _locked_user(user_id=(parent.get("metadata") or {}).get("user_id"), customer_id=customer_id)
    row = (
        BillingSubscription.objects.select_for_update()
        .filter(user=user, stripe_subscription_id=subscription_id)
        .first()
        if subscription_id
        else None
    )
    failed_at = _ts(created)
    if row is not None and (row.payment_failed_at is None or row.payment_failed_at < failed_at):
        row.payment_failed_at = failed_at
        row.save(update_fields=["payment_failed_at", "updated_at"])
    # The tier stays: Stripe retries the invoice and tells us through subscription events
    # (past_due, then unpaid or canceled) whether access should end.
    logger.warning("stripe invoice payment failed", extra={"user": str(user.pk), "subscription": subscription_id})
    return {"handled": True, "applied": row is not None, "tier": user.tier, "payment_failed": True}


def stripe_event_apply(payload: dict[str, Any]) -> dict[str, Any]:
    """Apply one verified Stripe event (the webhook handler). Safe in any order; see the module doc."""
    event_type = str(payload.get("type") or "")
    event_id = str(payload.get("id") or "")
    created = int(payload.get("created") or 0)
    obj = ((payload.get("data") or {}).get("object")) or {}
    response: dict[str, Any] = {"received": True, "type": event_type}
    if event_type not in HANDLED_EVENTS:
        return {**response, "handled": False}
    try:
        with transaction.atomic():
            if event_type == "checkout.session.completed":
                result = _handle_checkout_completed(event_id=event_id, created=created, session=obj)
            elif event_type == "invoice.payment_failed":
                result = _handle_payment_failed(created=created, invoice=obj)
            else:
                result = _handle_subscription(
                    event_type=event_type, event_id=event_id, created=created, subscription=obj
                )
    except IntegrityError:
        raise ConflictError("Conflicting billing data; nothing was changed") from None
    return {**response, **result}
