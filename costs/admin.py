from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from costs import selectors
from costs.models import Reservation, ReservationStatus, ServiceRate, VideoCost
from costs.services import cost_budget_status, cost_correct, cost_release
from ytempire.core.exceptions import ApplicationError


class _ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VideoCost)
class VideoCostAdmin(_ReadOnlyAdmin):
    """The append-only ledger: read-only, no delete; corrections are new rows (action below)."""

    list_display = ("timestamp", "budget_date", "service", "amount", "video_title", "channel_name", "correction")
    list_filter = ("service", "budget_date", "timestamp")
    date_hierarchy = "budget_date"
    search_fields = ("video__title", "service", "=video__id")
    list_select_related = ("video", "video__channel")
    raw_id_fields = ("video", "reservation")
    readonly_fields = ("id", "video", "service", "amount", "timestamp", "budget_date", "reservation", "metadata")
    ordering = ("-timestamp",)
    actions = ["reverse_charges"]
    change_list_template = "admin/costs/videocost/change_list.html"

    @admin.display(description="video", ordering="video__title")
    def video_title(self, obj):
        return obj.video.title

    @admin.display(description="channel")
    def channel_name(self, obj):
        return obj.video.channel.name

    @admin.display(boolean=True, description="correction")
    def correction(self, obj):
        return "correction_of" in (obj.metadata or {})

    @admin.action(description="Reverse selected charges (adds negative correction rows)")
    def reverse_charges(self, request, queryset):
        done = 0
        for entry in queryset:
            if "correction_of" in (entry.metadata or {}):
                continue
            try:
                cost_correct(entry=entry, reason="reversed in admin", actor=request.user.get_username())
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{entry.pk}: {exc.message}", level=messages.ERROR)
        self.message_user(request, f"Recorded {done} correction row(s).", level=messages.SUCCESS)

    def get_urls(self):
        report = path(
            "report/",
            self.admin_site.admin_view(self.daily_report_view),
            name="costs_videocost_report",
        )
        return [report, *super().get_urls()]

    def daily_report_view(self, request):
        """The platform's spend per budget day against the daily budget (CSS bar chart)."""
        try:
            days = max(1, min(int(request.GET.get("days", 30)), 120))
        except ValueError:
            days = 30
        rows = selectors.cost_daily_report(days=days)
        context = {
            **self.admin_site.each_context(request),
            "title": "Daily cost report",
            "opts": self.model._meta,
            "rows": rows,
            "days": days,
            "budget": rows[0]["budget"] if rows else None,
            "status": cost_budget_status(),
            "total": sum(r["total_cost"] for r in rows),
            "changelist_url": reverse("admin:costs_videocost_changelist"),
        }
        return TemplateResponse(request, "admin/costs/daily_report.html", context)


@admin.register(Reservation)
class ReservationAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "budget_date", "service", "amount", "status", "backend", "expires_at", "video_link")
    list_filter = ("status", "backend", "service", "budget_date")
    search_fields = ("video__title", "=video__id", "=id")
    list_select_related = ("video",)
    raw_id_fields = ("video",)
    readonly_fields = (
        "id",
        "video",
        "service",
        "amount",
        "budget_date",
        "status",
        "backend",
        "created_at",
        "expires_at",
        "closed_at",
        "metadata",
    )
    actions = ["release_holds"]

    @admin.display(description="video")
    def video_link(self, obj):
        url = reverse("admin:videos_video_change", args=[obj.video_id])
        return format_html('<a href="{}">{}</a>', url, obj.video.title)

    @admin.action(description="Release selected open holds")
    def release_holds(self, request, queryset):
        released = 0
        for hold in queryset.filter(status=ReservationStatus.OPEN):
            cost_release(reservation=hold)
            released += 1
        self.message_user(request, f"Released {released} hold(s).", level=messages.SUCCESS)


@admin.register(ServiceRate)
class ServiceRateAdmin(admin.ModelAdmin):
    """Prices used by estimate_video_cost; edits apply to the next estimate."""

    list_display = ("service", "model", "unit", "price", "is_active", "updated_at")
    list_editable = ("price", "is_active")
    list_filter = ("service", "is_active")
    search_fields = ("service", "model", "description")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("service", "model")
