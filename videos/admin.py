from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from unfold.admin import ModelAdmin, TabularInline
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from channels.models import Channel
from costs.models import VideoCost
from ytempire.core.admin import ChangedFieldsSaveMixin, ServiceActionMixin
from ytempire.core.exceptions import ApplicationError

from . import services
from .models import OptimizationLevel, Video, VideoEvent, VideoStatus
from .publishing import admin as publishing_admin  # noqa: F401  (registers the publishing actions)
from .publishing.waits import CHANNEL_FULL, NEEDS_RECONNECT, NOT_CONNECTED, PROJECT_QUOTA


class VideoEventInline(TabularInline):
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


class VideoCostInline(TabularInline):
    """Read-only inline of the costs ledger (costs.VideoCost)."""

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


class WaitingForFilter(admin.SimpleListFilter):
    """Videos parked on purpose, by what they wait for (the dispatcher wakes them when it is over)."""

    title = "waiting for"
    parameter_name = "waiting_for"
    REASONS = {
        NOT_CONNECTED: "channel not connected",
        NEEDS_RECONNECT: "YouTube reconnection",
        CHANNEL_FULL: "channel's upload capacity",
        PROJECT_QUOTA: "Google project quota",
        "budget": "cost budget",
        "upload_time": "channel upload time",
    }

    def lookups(self, request, model_admin):
        return list(self.REASONS.items())

    def queryset(self, request, queryset):
        if self.value() in self.REASONS:
            return queryset.filter(metadata__pipeline__wait__reason=self.value())
        return queryset


class QueueVideoForm(forms.Form):
    """Staff queue a video for a channel; the same limits and estimate apply as for its owner."""

    channel = forms.ModelChoiceField(
        queryset=Channel.objects.select_related("user").order_by("name"), widget=UnfoldAdminSelectWidget
    )
    title = forms.CharField(max_length=500, widget=UnfoldAdminTextInputWidget)
    optimization_level = forms.ChoiceField(
        choices=OptimizationLevel.choices, initial=OptimizationLevel.STANDARD, widget=UnfoldAdminSelectWidget
    )
    priority = forms.IntegerField(min_value=1, max_value=10, initial=5, widget=UnfoldAdminIntegerFieldWidget)


@admin.register(Video)
class VideoAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, ModelAdmin):
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
        "waiting",
        "age",
        "created_at",
    )
    list_filter = (
        "status",
        WaitingForFilter,
        "optimization_level",
        "complexity",
        ("created_at", admin.DateFieldListFilter),
    )
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
        # YouTube's statistics, written by the stats sync only.
        "view_count",
        "like_count",
        "comment_count",
        "estimated_revenue",
        "stats_updated_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = [VideoEventInline, VideoCostInline]
    actions = ["cancel_videos", "retry_videos", "raise_priority"]

    def has_add_permission(self, request):
        # Videos are queued through videos.services.video_generate (limits, cost estimate).
        return False

    @admin.display(description="providers")
    def providers_label(self, obj):
        return "SANDBOX" if obj.providers == "sandbox" else obj.providers or "-"

    @admin.display(description="waiting for")
    def waiting(self, obj):
        wait = ((obj.metadata or {}).get("pipeline") or {}).get("wait") or {}
        if not wait:
            return "-"
        return f"{wait.get('detail') or wait.get('reason')} (until {wait.get('until', '?')[:16]})"

    @admin.display(description="age", ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at, timezone.now())

    def get_urls(self):
        queue = path("queue/", self.admin_site.admin_view(self.queue_view), name="videos_video_queue")
        return [queue, *super().get_urls()]

    def queue_view(self, request):
        """Queue a video for any channel (counted against its owner's limits, like the API)."""
        if not self.has_view_permission(request) or not request.user.has_perm("videos.change_video"):
            raise PermissionDenied
        form = QueueVideoForm(request.POST or None, initial={"channel": request.GET.get("channel")})
        if request.method == "POST" and form.is_valid():
            channel = form.cleaned_data["channel"]
            try:
                video = services.video_generate(
                    user=channel.user,
                    channel_id=channel.pk,
                    title=form.cleaned_data["title"],
                    optimization_level=form.cleaned_data["optimization_level"],
                    priority=form.cleaned_data["priority"],
                    metadata={"queued_by": "staff", "staff_id": str(request.user.pk)},
                )
            except ApplicationError as exc:
                self.message_user(request, f"{channel}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Queued \u201c{video.title}\u201d for {channel}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:videos_video_change", args=[video.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Queue a video",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/videos/video/queue.html", context)

    @staticmethod
    def staff_mark(request) -> dict:
        """What a staff action records on the video's events: that staff acted (the automation
        rate counts videos published with no staff action), and who, by id — never an email."""
        return {"staff": True, "staff_id": str(request.user.pk)}

    @admin.action(description="Cancel selected videos")
    def cancel_videos(self, request, queryset):
        mark = self.staff_mark(request)
        self._each(
            request,
            queryset,
            "Cancelled",
            lambda v: services.video_transition(
                video=v, to_status=VideoStatus.CANCELLED, reason="cancelled by staff", data=mark
            ),
        )

    @admin.action(description="Retry selected videos (failed or cancelled)")
    def retry_videos(self, request, queryset):
        mark = self.staff_mark(request)
        self._each(
            request,
            queryset,
            "Re-queued",
            lambda v: services.video_requeue(video=v, reason="retried by staff", data=mark),
        )

    @admin.action(description="Raise priority by one (max 10)")
    def raise_priority(self, request, queryset):
        mark = self.staff_mark(request)
        self._each(
            request,
            queryset,
            "Raised the priority of",
            lambda v: services.video_raise_priority(video=v, reason="priority raised by staff", data=mark),
        )
