from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from ytempire.core.admin import ChangedFieldsSaveMixin, ReadOnlyAdminMixin, ServiceActionMixin

from . import services
from .models import Channel, ChannelEvent
from .ports import youtube_summaries


def _staff_actor(request) -> str:
    """The ``actor`` of events staff cause (their user id: events never carry emails)."""
    return f"staff {request.user.pk}"


class YouTubeConnectedFilter(admin.SimpleListFilter):
    title = "YouTube"
    parameter_name = "youtube"

    def lookups(self, request, model_admin):
        return [("connected", "connected"), ("not_connected", "not connected")]

    def queryset(self, request, queryset):
        if self.value() == "connected":
            return queryset.filter(youtube_account__isnull=False)
        if self.value() == "not_connected":
            return queryset.filter(youtube_account__isnull=True)
        return queryset


class ChannelEventInline(ReadOnlyAdminMixin, TabularInline):
    """The channel's history, read-only (events are written by the services only)."""

    model = ChannelEvent
    fields = ("at", "kind", "reason", "data", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at", "-id")
    show_change_link = False


@admin.register(Channel)
class ChannelAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, ModelAdmin):
    """Status, automation and the YouTube binding are state: they change through the actions (each
    calls its service, which records the channel's event and sends channel_stopped where the channel
    stops producing), never through the form. ``failover_to_reserve`` is a staff setting."""

    action_object_label = "channel"
    list_display = (
        "name",
        "user",
        "niche",
        "status",
        "automation_enabled",
        "youtube",
        "failover_to_reserve",
        "daily_video_limit",
        "total_videos",
        "total_views",
        "created_at",
    )
    list_filter = ("status", YouTubeConnectedFilter, "automation_enabled", "failover_to_reserve", "niche", "created_at")
    search_fields = ("name", "niche", "user__email", "=youtube_channel_id", "youtube_channel_handle")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = (
        "id",
        "user",
        "status",
        "automation_enabled",
        "youtube_account",
        "youtube_channel_id",
        "youtube_channel_handle",
        "youtube_summary",
        "metadata",
        "total_videos",
        "total_views",
        "total_subscribers",
        "total_revenue_cents",
        "created_at",
        "updated_at",
    )
    inlines = [ChannelEventInline]
    ordering = ("-created_at",)
    show_full_result_count = False
    actions = ["enable_automation", "disable_automation", "archive_channels", "suspend_channels", "reactivate_channels"]

    def has_add_permission(self, request):
        # Channels are created by their owners through the API, within their channel limit.
        return False

    def get_changelist_instance(self, request):
        """Ask channels.ports for the page's YouTube states once (the ``youtube`` column)."""
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)  # evaluated once; the template reuses these rows
        summaries = youtube_summaries(rows)
        for channel in rows:
            channel.youtube_summary_cached = summaries[channel.pk]
        return changelist

    @admin.display(description="YouTube")
    def youtube(self, obj):
        summary = getattr(obj, "youtube_summary_cached", None)
        if summary is None:
            summary = youtube_summaries([obj])[obj.pk]
        if not summary["connected"]:
            return "bound" if obj.youtube_account_id else "not connected"
        state = summary["account_state"] or "connected"
        return f"{state} ({summary['uploads_today']}/{summary['upload_cap']} today)"

    @admin.display(description="YouTube connection")
    def youtube_summary(self, obj):
        return self.youtube(obj)

    @admin.action(description="Enable automation", permissions=["change"])
    def enable_automation(self, request, queryset):
        actor = _staff_actor(request)
        self._each(
            request,
            queryset,
            "Enabled automation on",
            lambda channel: services.channel_set_automation(
                channel=channel, enabled=True, reason="enabled by staff", actor=actor
            ),
        )

    @admin.action(description="Disable automation", permissions=["change"])
    def disable_automation(self, request, queryset):
        actor = _staff_actor(request)
        self._each(
            request,
            queryset,
            "Disabled automation on",
            lambda channel: services.channel_set_automation(
                channel=channel, enabled=False, reason="disabled by staff", actor=actor
            ),
        )

    @admin.action(description="Archive (soft delete; stops unfinished videos)", permissions=["change"])
    def archive_channels(self, request, queryset):
        actor = _staff_actor(request)
        self._each(
            request,
            queryset,
            "Archived",
            lambda channel: services.channel_archive(channel=channel, reason="archived by staff", actor=actor),
        )

    @admin.action(description="Suspend (stops unfinished videos)", permissions=["change"])
    def suspend_channels(self, request, queryset):
        actor = _staff_actor(request)
        self._each(
            request,
            queryset,
            "Suspended",
            lambda channel: services.channel_suspend(channel=channel, reason="suspended by staff", actor=actor),
        )

    @admin.action(description="Reactivate (suspended or paused)", permissions=["change"])
    def reactivate_channels(self, request, queryset):
        actor = _staff_actor(request)
        self._each(
            request, queryset, "Reactivated", lambda channel: services.channel_reactivate(channel=channel, actor=actor)
        )


@admin.register(ChannelEvent)
class ChannelEventAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Every channel's history: a big append-only table, read-only."""

    list_display = ("at", "channel", "kind", "reason", "actor")
    list_filter = ("kind", "at")
    search_fields = ("=channel__id", "channel__name", "=kind")
    list_select_related = ("channel",)
    raw_id_fields = ("channel",)
    readonly_fields = ("id", "channel", "kind", "reason", "data", "actor", "at")
    ordering = ("-at", "-id")
    show_full_result_count = False
