"""Outbound: Stripe Checkout (subscribe to a paid tier) and the Customer Portal (manage it)."""

import hashlib
import logging

import stripe
from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.services import user_set_billing_ids
from ytempire.core.exceptions import ApplicationError, ConflictError

from ..models import ENTITLED_STATUSES, BillingSubscription
from ..plans import paid_tiers, price_for
from ..stripe_client import stripe_call, stripe_client

logger = logging.getLogger(__name__)


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
        customer = stripe_call(
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
    price = price_for(tier)
    if BillingSubscription.objects.filter(user=user, status__in=ENTITLED_STATUSES).exists():
        raise ConflictError("You already have an active subscription; change plans in the billing portal")
    client = stripe_client()
    customer_id = _ensure_customer(client=client, user=user)
    metadata = {"user_id": str(user.pk), "tier": tier}
    frontend = settings.FRONTEND_URL.rstrip("/")
    session = stripe_call(
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
    session = stripe_call(
        "billing_portal.sessions.create",
        client.v1.billing_portal.sessions.create,
        params={"customer": user.stripe_customer_id, "return_url": f"{settings.FRONTEND_URL.rstrip('/')}/billing"},
    )
    return {"portal_url": session.url}
