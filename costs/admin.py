import json
from contextvars import ContextVar
from decimal import Decimal

from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from costs import selectors
from costs.models import CostCalibration, EstimateBasis, Reservation, ReservationStatus, ServiceRate, VideoCost
from costs.selectors import cost_budget_status
from costs.services import LEVELS, cost_correct, cost_estimates_calibrate, cost_release, estimate_video_cost
from ytempire.core.admin import ReadOnlyAdminMixin
from ytempire.core.exceptions import ApplicationError

SERVICE_COLOURS = ["#9333ea", "#0ea5e9", "#22c55e", "#f59e0b", "#ec4899", "#14b8a6", "#64748b"]
BUDGET_COLOUR = "#dc2626"
AXIS_COLOUR = "#9ca3af"


def daily_report_chart(rows: list[dict]) -> tuple[str, str]:
    """Chart.js data and options (JSON) for the report: spend per day stacked by service, and the daily
    budget as a dashed line. While the busiest day is under a quarter of the budget the line starts
    hidden (a click on its legend shows it), so small days stay readable instead of 1% tall."""
    services = sorted({service for row in rows for service in row["by_service"]})
    budget = max((row["budget"] for row in rows), default=Decimal(0))
    peak = max((row["total_cost"] for row in rows), default=Decimal(0))
    datasets = [
        {
            "type": "bar",
            "label": service,
            "stack": "spend",
            "data": [row["by_service"].get(service, Decimal(0)) for row in rows],
            "backgroundColor": SERVICE_COLOURS[index % len(SERVICE_COLOURS)],
        }
        for index, service in enumerate(services)
    ]
    datasets.append(
        {
            "type": "line",
            "label": "Daily budget",
            "stack": "budget",
            "data": [row["budget"] for row in rows],
            "borderColor": BUDGET_COLOUR,
            "borderDash": [6, 4],
            "borderWidth": 2,
            "pointRadius": 0,
            "hidden": bool(budget) and peak < budget / 4,
        }
    )
    data = {"labels": [row["date"].isoformat() for row in rows], "datasets": datasets}
    ticks = {"color": AXIS_COLOUR}
    options = {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "interaction": {"mode": "index", "intersect": False},
        "plugins": {"legend": {"display": True, "align": "end", "labels": {"color": AXIS_COLOUR}}},
        "scales": {
            "x": {"stacked": True, "grid": {"display": False}, "ticks": {**ticks, "maxTicksLimit": 16}},
            "y": {"stacked": True, "beginAtZero": True, "ticks": ticks},
        },
    }
    return json.dumps(data, cls=DjangoJSONEncoder), json.dumps(options)


class _ReadOnlyAdmin(ReadOnlyAdminMixin, ModelAdmin):
    show_full_result_count = False


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
        """The platform's spend per budget day against the daily budget (a Chart.js chart and a table)."""
        try:
            days = max(1, min(int(request.GET.get("days", 30)), 120))
        except ValueError:
            days = 30
        rows = selectors.cost_daily_report(days=days)
        chart_data, chart_options = daily_report_chart(rows)
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
            "chart_data": chart_data,
            "chart_options": chart_options,
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
class ServiceRateAdmin(ModelAdmin):
    """Prices used by estimate_video_cost; edits apply to the next estimate."""

    list_display = ("service", "model", "unit", "price", "is_active", "updated_at")
    list_editable = ("price", "is_active")
    list_filter = ("service", "is_active")
    search_fields = ("service", "model", "description")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("service", "model")


_PAGE_ESTIMATES: ContextVar[dict | None] = ContextVar("cost_admin_page_estimates", default=None)


@admin.register(CostCalibration)
class CostCalibrationAdmin(_ReadOnlyAdmin):
    """What videos really cost per level and service (p95 of the last finished videos; for
    rendering also per 1,000 script words, which revises a video's estimate once its script is
    written), and the estimate each level uses now, with its basis. Recomputed hourly by beat;
    "Recalibrate now" runs the same service."""

    list_display = (
        "level",
        "service",
        "amount",
        "samples",
        "per_1000_script_words",
        "word_samples",
        "estimate_now",
        "basis_now",
        "computed_at",
    )
    list_filter = ("level", "service")
    ordering = ("level", "service")
    actions = ["recalibrate"]

    @admin.display(description="estimate now")
    def estimate_now(self, obj) -> Decimal:
        return self._estimate(obj.level).breakdown.get(obj.service, Decimal("0"))

    @admin.display(description="basis")
    def basis_now(self, obj) -> str:
        basis = self._estimate(obj.level).basis.get(obj.service)
        return EstimateBasis(basis).label if basis else "-"

    def _estimate(self, level):
        estimates = _PAGE_ESTIMATES.get() or {}
        return estimates.get(level) or estimate_video_cost(level=level)

    def changelist_view(self, request, extra_context=None):
        # One estimate per level for the page (set per request: the admin instance is shared).
        estimates = {level: estimate_video_cost(level=level) for level in LEVELS}
        token = _PAGE_ESTIMATES.set(estimates)
        try:
            summary = "; ".join(f"{e.level}: ${e.total} ({e.basis_label})" for e in estimates.values())
            self.message_user(request, f"Estimates now: {summary}.", level=messages.INFO)
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # the rows are drawn now, while the page's estimates are set
            return response
        finally:
            _PAGE_ESTIMATES.reset(token)

    @admin.action(description="Recalibrate now (from the ledger)")
    def recalibrate(self, request, queryset):
        report = cost_estimates_calibrate()
        counts = ", ".join(f"{level}: {samples} videos" for level, samples in report.items())
        self.message_user(request, f"Recalibrated ({counts}).", level=messages.SUCCESS)
