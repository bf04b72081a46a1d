import json

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html

from accounts.models import User
from ytempire.core.exceptions import ApplicationError

from .handlers import handler_for
from .models import BillingSubscription, WebhookEvent, WebhookResult
from .services.billing import billing_sync_user_tier
from .services.events import webhook_reprocess


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Read-only delivery log; staff can re-process a verified delivery that did not take effect."""

    list_display = (
        "received_at",
        "source",
        "event_type",
        "event_id",
        "result",
        "status_code",
        "signature_valid",
        "short_error",
    )
    list_filter = ("source", "result", "signature_valid", "event_type", "received_at")
    search_fields = ("event_id", "event_type", "error")
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    show_full_result_count = False
    list_per_page = 50
    actions = ["reprocess_events"]
    readonly_fields = (
        "id",
        "source",
        "event_id",
        "event_type",
        "signature_valid",
        "result",
        "status_code",
        "error",
        "body_bytes",
        "pretty_payload",
        "pretty_response",
        "received_at",
        "processed_at",
        "created_at",
        "updated_at",
    )
    exclude = ("payload", "response")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="error")
    def short_error(self, obj: WebhookEvent) -> str:
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    @admin.display(description="payload")
    def pretty_payload(self, obj: WebhookEvent):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, default=str))

    @admin.display(description="response")
    def pretty_response(self, obj: WebhookEvent):
        return format_html("<pre>{}</pre>", json.dumps(obj.response, indent=2, sort_keys=True, default=str))

    @admin.action(description="Re-process selected deliveries (verified ones that did not take effect)")
    def reprocess_events(self, request, queryset):
        done = 0
        for event in queryset:
            handler = handler_for(source=event.source, event_type=event.event_type)
            if handler is None:
                self.message_user(request, f"{event}: no handler for this event type", messages.WARNING)
                continue
            if event.result in (WebhookResult.PROCESSED, WebhookResult.DUPLICATE):
                self.message_user(request, f"{event}: already took effect; nothing to do", messages.INFO)
                continue
            try:
                webhook_reprocess(event=event, handler=handler)
            except ApplicationError as exc:
                self.message_user(request, f"{event}: {exc.message}", messages.ERROR)
            except Exception as exc:  # validation errors and the like: report, keep going
                self.message_user(request, f"{event}: {exc.__class__.__name__}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"Re-processed {done} deliver{'y' if done == 1 else 'ies'}.", messages.SUCCESS)


@admin.register(BillingSubscription)
class BillingSubscriptionAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Re-sync the users' tier and limits with their subscriptions")
    def resync_tier(self, request, queryset):
        user_ids = set(queryset.values_list("user_id", flat=True))
        for user_id in user_ids:
            try:
                with transaction.atomic():
                    user = User.objects.select_for_update().get(pk=user_id)
                    user = billing_sync_user_tier(user=user)
            except ApplicationError as exc:
                self.message_user(request, f"{user_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{user.email}: tier {user.tier}", messages.SUCCESS)
