"""The plans billing sells: paid tiers (the order of settings.TIERS) and their Stripe prices."""

from django.conf import settings

from .stripe_client import BillingNotConfiguredError

FREE_TIER = "free"


def tier_order() -> list[str]:
    """Tiers from the least to the most generous (the order of settings.TIERS)."""
    return list(settings.TIERS)


def paid_tiers() -> list[str]:
    return [tier for tier in tier_order() if tier != FREE_TIER]


def price_for(tier: str) -> str:
    """The Stripe price id of ``tier``; 503 (BillingNotConfiguredError) when none is configured."""
    price = getattr(settings, "STRIPE_PRICE_IDS", {}).get(tier, "")
    if not price:
        raise BillingNotConfiguredError(f"Billing is not configured for the {tier} tier (no Stripe price id)")
    return price


def tier_for_price(price_id: str) -> str | None:
    for tier, price in getattr(settings, "STRIPE_PRICE_IDS", {}).items():
        if price and price == price_id:
            return tier
    return None
