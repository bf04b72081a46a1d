import json

from django.contrib import admin, messages
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from ytempire.core.admin import ReadOnlyAdminMixin
from ytempire.core.exceptions import ApplicationError

from .handlers import handler_for
from .models import WebhookEvent, WebhookResult
from .services.events import webhook_reprocess


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
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
