from django.contrib import admin
from django.utils import timezone
from django.utils.timesince import timesince

from ytempire.core.admin import ChangedFieldsSaveMixin, ServiceActionMixin

from . import services
from .models import Video, VideoEvent, VideoStatus


class VideoEventInline(admin.TabularInline):
    model = VideoEvent
    fields = ("at", "from_status", "to_status", "reason", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _video_cost_inline():
    """Read-only inline of the costs ledger (costs.VideoCost)."""
    from costs.models import VideoCost

    class VideoCostInline(admin.TabularInline):
        model = VideoCost
        fields = ("timestamp", "service", "amount", "metadata")
        readonly_fields = fields
        extra = 0
        can_delete = False
        ordering = ("timestamp",)
        verbose_name = "cost"
        verbose_name_plural = "costs (ledger)"

        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    return VideoCostInline


@admin.register(Video)
class VideoAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, admin.ModelAdmin):
    action_object_label = "video"
    list_display = (
        "title",
        "channel",
        "status",
        "priority",
        "optimization_level",
        "estimated_cost",
        "total_cost",
        "providers_label",
        "age",
        "created_at",
    )
    list_filter = ("status", "optimization_level", "complexity", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id", "title", "channel__name", "youtube_video_id")
    list_select_related = ("channel",)
    raw_id_fields = ("channel", "youtube_account_used")
    readonly_fields = (
        "id",
        "channel",
        "status",
        "youtube_video_id",
        "youtube_url",
        "youtube_account_used",
        "estimated_cost",
        "total_cost",
        "cost_breakdown",
        "generation_time_seconds",
        "quality_score",
        "metadata",
        "error_message",
        "queued_at",
        "processing_started_at",
        "processing_completed_at",
        "published_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = [VideoEventInline, _video_cost_inline()]
    actions = ["cancel_videos", "retry_videos", "raise_priority"]

    def has_add_permission(self, request):
        # Videos are queued through videos.services.video_generate (limits, cost estimate).
        return False

    @admin.display(description="providers")
    def providers_label(self, obj):
        return "SANDBOX" if obj.providers == "sandbox" else obj.providers or "-"

    @admin.display(description="age", ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at, timezone.now())

    @admin.action(description="Cancel selected videos")
    def cancel_videos(self, request, queryset):
        reason = f"cancelled by staff ({request.user.email})"
        self._each(
            request,
            queryset,
            "Cancelled",
            lambda v: services.video_transition(video=v, to_status=VideoStatus.CANCELLED, reason=reason),
        )

    @admin.action(description="Retry selected videos (failed or cancelled)")
    def retry_videos(self, request, queryset):
        reason = f"retried by staff ({request.user.email})"
        self._each(request, queryset, "Re-queued", lambda v: services.video_requeue(video=v, reason=reason))

    @admin.action(description="Raise priority by one (max 10)")
    def raise_priority(self, request, queryset):
        reason = f"priority raised by staff ({request.user.email})"
        self._each(
            request, queryset, "Raised the priority of", lambda v: services.video_raise_priority(video=v, reason=reason)
        )
