from django.conf import settings

from accounts.models import User

from .models import ENTITLED_STATUSES, BillingSubscription


def billing_subscription_get(*, user: User) -> dict:
    """The user's plan: tier and limits, and the subscription that grants it (else the latest one)."""
    subscriptions = list(BillingSubscription.objects.filter(user=user).order_by("-created_at")[:20])
    current = next((s for s in subscriptions if s.stripe_subscription_id == user.stripe_subscription_id), None)
    if current is None:
        current = next((s for s in subscriptions if s.status in ENTITLED_STATUSES), None)
    if current is None and subscriptions:
        current = subscriptions[0]
    return {
        "tier": user.tier,
        "channel_limit": user.channel_limit,
        "daily_video_limit": user.daily_video_limit,
        "has_billing_account": bool(user.stripe_customer_id),
        "subscription": current,
        "available_tiers": [
            {"tier": tier, "label": limits["label"], **{k: v for k, v in limits.items() if k != "label"}}
            for tier, limits in settings.TIERS.items()
        ],
    }
