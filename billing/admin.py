from django.contrib import admin, messages
from unfold.admin import ModelAdmin

from ytempire.core.admin import ReadOnlyAdminMixin
from ytempire.core.exceptions import ApplicationError

from .models import BillingSubscription
from .services import billing_user_resync


@admin.register(BillingSubscription)
class BillingSubscriptionAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Read-only: a subscription's state is what Stripe's events said. Staff can re-derive the
    users' tiers from the stored subscriptions (through the billing service)."""

    list_display = (
        "stripe_subscription_id",
        "user",
        "tier",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "payment_failed_at",
        "updated_at",
    )
    list_filter = ("status", "tier", "cancel_at_period_end")
    search_fields = ("stripe_subscription_id", "stripe_customer_id", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    show_full_result_count = False
    actions = ["resync_tier"]
    readonly_fields = (
        "id",
        "user",
        "stripe_subscription_id",
        "stripe_customer_id",
        "status",
        "tier",
        "price_id",
        "current_period_end",
        "cancel_at_period_end",
        "canceled_at",
        "payment_failed_at",
        "state_event_id",
        "state_event_created",
        "state_event_rank",
        "created_at",
        "updated_at",
    )

    @admin.action(description="Re-sync the users' tier and limits with their subscriptions")
    def resync_tier(self, request, queryset):
        for user_id in set(queryset.values_list("user_id", flat=True)):
            try:
                user = billing_user_resync(user_id=user_id, actor=f"billing re-sync by staff ({request.user.email})")
            except ApplicationError as exc:
                self.message_user(request, f"{user_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{user.email}: tier {user.tier}", messages.SUCCESS)
