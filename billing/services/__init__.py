"""Billing's services: Stripe Checkout and Portal sessions, and Stripe's subscription events.

Other apps (the Stripe webhook entrance, the admin) use billing through these names only.
"""

from .checkout import billing_checkout_create, billing_portal_create
from .subscriptions import HANDLED_EVENTS, billing_sync_user_tier, billing_user_resync, stripe_event_apply

__all__ = [
    "HANDLED_EVENTS",
    "billing_checkout_create",
    "billing_portal_create",
    "billing_sync_user_tier",
    "billing_user_resync",
    "stripe_event_apply",
]
