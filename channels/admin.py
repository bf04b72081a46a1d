from django.contrib import admin
from django.utils import timezone

from ytempire.core.admin import ChangedFieldsSaveMixin, ServiceActionMixin

from . import services
from .models import Channel


@admin.register(Channel)
class ChannelAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, admin.ModelAdmin):
    action_object_label = "channel"
    list_display = (
        "name",
        "user",
        "niche",
        "status",
        "automation_enabled",
        "daily_video_limit",
        "total_videos",
        "total_views",
        "total_subscribers",
        "created_at",
    )
    list_filter = ("status", "automation_enabled", "niche", "created_at")
    search_fields = ("name", "niche", "user__email", "youtube_channel_id", "youtube_channel_handle")
    list_select_related = ("user",)
    raw_id_fields = ("user", "youtube_account")
    readonly_fields = (
        "id",
        "user",
        "metadata",
        "total_videos",
        "total_views",
        "total_subscribers",
        "total_revenue_cents",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at",)
    show_full_result_count = False
    actions = ["enable_automation", "disable_automation", "archive_channels", "queue_video_now"]

    def has_add_permission(self, request):
        # Channels are created by their owners through the API, within their channel limit.
        return False

    @admin.action(description="Enable automation")
    def enable_automation(self, request, queryset):
        def enable(channel):
            services.channel_set_automation(channel=channel, enabled=True)

        self._each(request, queryset, "Enabled automation on", enable)

    @admin.action(description="Disable automation")
    def disable_automation(self, request, queryset):
        reason = f"disabled by staff ({request.user.email})"
        self._each(
            request,
            queryset,
            "Disabled automation on",
            lambda c: services.channel_set_automation(channel=c, enabled=False, reason=reason),
        )

    @admin.action(description="Archive (soft delete; cancels unfinished videos)")
    def archive_channels(self, request, queryset):
        reason = f"archived by staff ({request.user.email})"
        self._each(request, queryset, "Archived", lambda c: services.channel_archive(channel=c, reason=reason))

    @admin.action(description="Queue a video now (counts against the daily limits)")
    def queue_video_now(self, request, queryset):
        from videos.services import video_generate

        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")

        def queue(channel):
            video_generate(
                user=channel.user,
                channel_id=channel.pk,
                title=f"{channel.niche}: {channel.name} ({stamp})",
                metadata={"queued_by": "staff", "staff_email": request.user.email},
            )

        self._each(request, queryset, "Queued a video for", queue)
