"""Read-only views of the analytics tables (big, written by the sync and the rollups only), and one
action: read a channel's statistics now (the same service the hourly task runs)."""

from django.contrib import admin, messages
from unfold.admin import ModelAdmin

from ytempire.core.admin import ReadOnlyAdminMixin

from .models import (
    ChannelRevenueDay,
    ChannelStatsSnapshot,
    ChannelStatsSync,
    DailyChannelRollup,
    DailyPlatformRollup,
    SyncOutcome,
)
from .sync import channel_stats_sync


class ReadOnlyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    show_full_result_count = False
    list_per_page = 50


@admin.register(ChannelStatsSync)
class ChannelStatsSyncAdmin(ReadOnlyAdmin):
    list_display = ("channel", "outcome", "detail", "synced_at", "revenue_synced_at", "attempted_at")
    list_filter = ("outcome",)
    list_select_related = ("channel",)
    search_fields = ("channel__name", "channel__youtube_channel_id")
    ordering = ("-attempted_at",)
    actions = ["sync_now"]

    def has_change_permission(self, request, obj=None):
        # The action needs change permission; the form itself stays read-only (no editable fields).
        return request.user.is_staff

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.action(description="Read YouTube statistics now")
    def sync_now(self, request, queryset):
        for sync in queryset.select_related("channel"):
            result = channel_stats_sync(channel_id=sync.channel_id)
            level = messages.SUCCESS if result.outcome == SyncOutcome.SYNCED else messages.WARNING
            detail = f": {result.detail}" if result.detail else ""
            self.message_user(request, f"{sync.channel}: {result.outcome}{detail} ({result.calls} call(s))", level)


@admin.register(DailyChannelRollup)
class DailyChannelRollupAdmin(ReadOnlyAdmin):
    list_display = ("date", "channel", "published", "spend", "views", "subscribers", "revenue", "computed_at")
    list_select_related = ("channel",)
    raw_id_fields = ("channel",)
    date_hierarchy = "date"
    search_fields = ("channel__name",)


@admin.register(DailyPlatformRollup)
class DailyPlatformRollupAdmin(ReadOnlyAdmin):
    list_display = ("date", "channels", "published", "spend", "views", "revenue", "computed_at")
    date_hierarchy = "date"


@admin.register(ChannelStatsSnapshot)
class ChannelStatsSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("date", "channel", "view_count", "subscriber_count", "video_count", "taken_at")
    list_select_related = ("channel",)
    raw_id_fields = ("channel",)
    date_hierarchy = "date"
    search_fields = ("channel__name",)


@admin.register(ChannelRevenueDay)
class ChannelRevenueDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "channel", "revenue", "views", "fetched_at")
    list_select_related = ("channel",)
    raw_id_fields = ("channel",)
    date_hierarchy = "date"
    search_fields = ("channel__name",)
