"""Inbound: Stripe's subscription events, and the user's tier that follows from them.

The webhooks app verifies, logs and deduplicates an event, then calls ``stripe_event_apply``
inside its transaction. Here:

- the user's row is locked first, so events for one user are applied one at a time;
- each subscription keeps the state of the newest event seen (event ``created``, then a rank
  checkout < created < updated < deleted for ties); an older event arriving late is ignored,
  and a cancelled subscription never comes back (Stripe cannot revive one);
- the user's tier is the best tier among their entitled subscriptions (active, trialing,
  past_due), else free, and changes only through ``accounts.services.user_set_tier`` — the one
  door for tier changes, which also pauses automation on channels over a smaller limit.
"""

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import user_set_billing_ids, user_set_tier
from ytempire.core.exceptions import ApplicationError, ConflictError, NotFoundError

from ..models import ENTITLED_STATUSES, BillingSubscription, SubscriptionStatus
from ..plans import FREE_TIER, paid_tiers, tier_for_price, tier_order

logger = logging.getLogger(__name__)

EVENT_RANK = {
    "checkout.session.completed": 0,
    "customer.subscription.created": 1,
    "customer.subscription.updated": 2,
    "customer.subscription.deleted": 3,
}
HANDLED_EVENTS = frozenset({*EVENT_RANK, "invoice.payment_failed"})


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


def billing_sync_user_tier(*, user: User, actor: str = "stripe billing") -> User:
    """Make the user's tier, limits and subscription id follow their entitled subscriptions.

    Call with the user row locked (inside a transaction). The tier changes only through
    ``accounts.services.user_set_tier``, which owns what a tier change implies (limits, and
    pausing automation on channels over a smaller channel limit).
    """
    order = tier_order()
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
        user = user_set_tier(user=user, tier=tier, actor=actor)
    return user


def billing_user_resync(*, user_id, actor: str = "billing re-sync") -> User:
    """Lock the user and re-derive their tier from the stored subscriptions (staff action)."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFoundError("User not found")
        return billing_sync_user_tier(user=user, actor=actor)


def _subscription_state(subscription: dict[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    items = ((subscription.get("items") or {}).get("data")) or []
    first = items[0] if items else {}
    price_id = _id_of(first.get("price")) if first else ""
    metadata = subscription.get("metadata") or {}
    tier = tier_for_price(price_id) if price_id else None
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
    """Apply one verified Stripe event. Safe in any order and atomic; see the module doc.

    Raises NotFoundError (no user matches), ConflictError (the customer or subscription belongs
    to another user) or a 422 ApplicationError (unknown price, status or tier); then nothing
    is changed. Event types outside HANDLED_EVENTS are acknowledged with ``handled: false``.
    """
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
