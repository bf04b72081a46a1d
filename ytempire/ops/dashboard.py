"""The admin index is the operations dashboard (UNFOLD["DASHBOARD_CALLBACK"]).

Every number and series comes from ``analytics.selectors.operations_overview()``, the function the
analytics API serves too, so the dashboard and the API cannot disagree; this module only presents
it: KPI cards, tables and four Chart.js charts (drawn by Unfold's own static Chart.js, no CDN).
Each KPI carries its raw value in ``data-value`` so tests (and people) can check it against the
selector.
"""

import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone

from analytics.selectors import operations_overview
from videos.models import VideoStatus

STATUS_COLOURS = {
    VideoStatus.QUEUED: "#94a3b8",
    VideoStatus.PROCESSING: "#3b82f6",
    VideoStatus.READY: "#8b5cf6",
    VideoStatus.UPLOADING: "#f59e0b",
    VideoStatus.PUBLISHED: "#22c55e",
    VideoStatus.FAILED: "#ef4444",
    VideoStatus.CANCELLED: "#64748b",
}
SPEND_COLOUR = "#9333ea"
BUDGET_COLOUR = "#dc2626"
PROJECT_COLOURS = ["#9333ea", "#0ea5e9", "#22c55e", "#f59e0b", "#ef4444", "#64748b", "#ec4899", "#14b8a6"]
AXIS_COLOUR = "#9ca3af"
# Below this share of the budget, the budget line starts hidden (click its legend to show it): drawn,
# it would squash a quiet month's bars into the floor.
BUDGET_LINE_VISIBLE_FROM = Decimal("0.25")


def dashboard_callback(request, context: dict) -> dict:
    """Unfold calls this for the admin index: the platform's overview (staff run all of it)."""
    context.update(dashboard_context(operations_overview()))
    return context


# --- formatting -----------------------------------------------------------------------
def usd(value) -> str:
    return "—" if value is None else f"${Decimal(value):,.2f}"


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def raw(value) -> str:
    """The value as the selector returned it, for ``data-value`` (None: empty)."""
    return "" if value is None else str(value)


def share(part, whole) -> int:
    """``part`` as a whole percentage of ``whole``, capped at 100 (0 without a whole)."""
    if not whole:
        return 0
    return int(min(Decimal(100), Decimal(part or 0) * 100 / Decimal(whole)))


def tone(used_percent: int) -> str:
    return "ok" if used_percent < 80 else ("warn" if used_percent < 100 else "danger")


def pacific(moment: datetime | None) -> datetime | None:
    return None if moment is None else timezone.localtime(moment, ZoneInfo(settings.YOUTUBE_TIMEZONE))


# --- charts ---------------------------------------------------------------------------
def chart_options(*, stacked: bool = False, legend: bool = True, counts: bool = True) -> dict:
    """Chart.js options (replacing Unfold's defaults, which hide axes and legends). No animation:
    the chart is drawn as the page loads. ``counts``: whole-number ticks."""
    ticks = {"color": AXIS_COLOUR}
    y_ticks = {**ticks, "precision": 0} if counts else ticks
    return {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "interaction": {"mode": "index", "intersect": False},
        "plugins": {
            "legend": {
                "display": legend,
                "align": "end",
                "position": "top",
                "labels": {"boxWidth": 8, "boxHeight": 8, "usePointStyle": True, "color": AXIS_COLOUR},
            },
            "tooltip": {"enabled": True},
        },
        "scales": {
            "x": {"stacked": stacked, "grid": {"display": False}, "ticks": {**ticks, "maxTicksLimit": 12}},
            "y": {"stacked": stacked, "beginAtZero": True, "ticks": y_ticks},
        },
    }


def _chart(key: str, title: str, kind: str, data: dict, options: dict, description: str = "") -> dict:
    return {
        "key": key,
        "title": title,
        "description": description,
        "kind": kind,
        "data": json.dumps(data, cls=DjangoJSONEncoder),
        "options": json.dumps(options),
    }


def spend_chart(rows: list[dict]) -> dict:
    peak = max((row["spend"] for row in rows), default=Decimal(0))
    budget = max((row["budget"] for row in rows), default=Decimal(0))
    data = {
        "labels": [row["date"].strftime("%m-%d") for row in rows],
        "datasets": [
            {
                "type": "bar",
                "label": "Spend",
                "data": [row["spend"] for row in rows],
                "backgroundColor": SPEND_COLOUR,
                "borderRadius": 4,
                "order": 2,
            },
            {
                "type": "line",
                "label": "Daily budget",
                "data": [row["budget"] for row in rows],
                "borderColor": BUDGET_COLOUR,
                "borderDash": [6, 4],
                "borderWidth": 2,
                "pointRadius": 0,
                "fill": False,
                "order": 1,
                "hidden": bool(budget) and peak < budget * BUDGET_LINE_VISIBLE_FROM,
            },
        ],
    }
    return _chart(
        "spend_per_day",
        "Spend per day",
        "bar",
        data,
        chart_options(counts=False),
        "Recorded spend per budget day against the daily budget (dashed; click the legend to show or hide it).",
    )


def videos_chart(rows: list[dict]) -> dict:
    data = {
        "labels": [row["date"].strftime("%m-%d") for row in rows],
        "datasets": [
            {
                "label": status.label,
                "data": [row.get(status.value, 0) for row in rows],
                "backgroundColor": STATUS_COLOURS[status],
                "borderRadius": 2,
            }
            for status in VideoStatus
        ],
    }
    return _chart(
        "videos_per_day",
        "Videos per day",
        "bar",
        data,
        chart_options(stacked=True),
        "Videos created each day, by their status now.",
    )


def distribution_chart(rows: list[dict]) -> dict:
    data = {
        "labels": [f"${row['bucket']}" for row in rows],
        "datasets": [
            {
                "label": "Videos",
                "data": [row["videos"] for row in rows],
                "backgroundColor": SPEND_COLOUR,
                "borderRadius": 4,
            }
        ],
    }
    return _chart(
        "cost_distribution",
        "Cost per video",
        "bar",
        data,
        chart_options(legend=False),
        "Published videos of the last 30 days by what each cost.",
    )


def quota_chart(projects: list[dict]) -> dict:
    data = {
        "labels": [f"{hour:02d}" for hour in range(24)],
        "datasets": [
            {
                "label": project["project"],
                "data": [slot["uploads"] for slot in sorted(project["hours"], key=lambda slot: slot["hour"])],
                "borderColor": PROJECT_COLOURS[index % len(PROJECT_COLOURS)],
                "backgroundColor": PROJECT_COLOURS[index % len(PROJECT_COLOURS)],
                "borderWidth": 2,
                "pointRadius": 2,
                "tension": 0.2,
            }
            for index, project in enumerate(projects)
        ],
    }
    return _chart(
        "quota_by_project_today",
        "Uploads per Google project today",
        "line",
        data,
        chart_options(legend=bool(projects)),
        "Uploads published today per project, by Pacific hour (Google's quota day).",
    )


# --- the page -------------------------------------------------------------------------
def _kpi(key, title, value, display, *, footer="", href=None, progress=None) -> dict:
    return {
        "key": key,
        "title": title,
        "value": raw(value),
        "display": display,
        "footer": footer,
        "href": href,
        "progress": progress,
        "tone": tone(progress) if progress is not None else None,
    }


def dashboard_context(overview: dict) -> dict:
    today, money, capacity, series = overview["today"], overview["money"], overview["capacity"], overview["series"]
    cost = money["cost_per_video"]
    videos_url = reverse("admin:videos_video_changelist")
    # The video list's own date filter, on the selector's day (UTC): the rows behind each count.
    start = datetime.combine(today["date"], time.min, tzinfo=UTC)
    created_filter = urlencode({"created_at__gte": str(start), "created_at__lt": str(start + timedelta(days=1))})
    next_reset = pacific(capacity.get("next_reset_at"))
    kpis = [
        _kpi(
            "published_today",
            "Published today",
            today["published"],
            f"{today['published']} / {today['target']}",
            footer=f"target {today['target']} a day",
            progress=share(today["published"], today["target"]),
        ),
        _kpi(
            "automation_rate",
            "Automation rate",
            today["automation_rate"],
            percent(today["automation_rate"]),
            footer="published today without a staff action",
        ),
        _kpi(
            "failed_needing_attention",
            "Failed, needing attention",
            today["failed_needing_attention"],
            str(today["failed_needing_attention"]),
            footer="failed in the last 7 days: open the queue to retry",
            href=reverse("admin:ops_failed_videos"),
        ),
        _kpi(
            "uploads_possible_today",
            "Uploads still possible today",
            capacity["uploads_possible_today"],
            str(capacity["uploads_possible_today"]),
            footer=f"quota resets at {next_reset:%H:%M %Z}" if next_reset else "no Google project",
            href=reverse("admin:ops_capacity"),
        ),
        _kpi(
            "spend_today",
            "Spend today",
            money["spend_today"],
            usd(money["spend_today"]),
            footer=f"of {usd(money['daily_budget'])} · {usd(money['held_today'])} held",
            href=reverse("admin:costs_videocost_report"),
            progress=share(money["spend_today"] + money["held_today"], money["daily_budget"]),
        ),
        _kpi(
            "spend_month",
            "Spend this month",
            money["spend_month"],
            usd(money["spend_month"]),
            footer=f"of {usd(money['monthly_budget'])}",
            progress=share(money["spend_month"], money["monthly_budget"]),
        ),
        _kpi(
            "cost_per_video_mean",
            "Cost per video (mean)",
            cost["mean"],
            usd(cost["mean"]),
            footer=f"target {usd(cost['target'])} · {cost['videos']} published in 30 days",
        ),
        _kpi(
            "cost_per_video_p95",
            "Cost per video (p95)",
            cost["p95"],
            usd(cost["p95"]),
            footer=f"limit {usd(cost['limit'])}",
        ),
    ]
    statuses = [
        {
            "status": status.value,
            "label": status.label,
            "count": today["videos_by_status"].get(status.value, 0),
            "colour": STATUS_COLOURS[status],
            "href": f"{videos_url}?status__exact={status.value}&{created_filter}",
        }
        for status in VideoStatus
    ]
    levels = [
        {
            **row,
            "estimate_display": usd(row["estimate"]),
            "actual_display": usd(row["actual"]),
            "over": row["estimate"] is not None and row["actual"] is not None and row["actual"] > row["estimate"],
        }
        for row in money["estimate_vs_actual"]
    ]
    projects = []
    for project in capacity["projects"]:
        buckets = [
            {"name": name, **bucket, "percent": share(bucket["used"], bucket["limit"])}
            for name, bucket in project["buckets"].items()
        ]
        for bucket in buckets:
            bucket["tone"] = tone(bucket["percent"])
        projects.append(
            {**project, "bucket_list": buckets, "next_reset_pacific": pacific(project.get("next_reset_at"))}
        )
    accounts = [
        {**account, "percent": share(account["uploads_today"], account["daily_upload_cap"])}
        for account in capacity["accounts"]
    ]
    return {
        "overview": overview,
        "kpis": kpis,
        "statuses": statuses,
        "created_today": sum(row["count"] for row in statuses),
        "levels": levels,
        "projects": projects,
        "accounts": accounts,
        "next_reset": next_reset,
        "next_reset_display": f"{next_reset:%H:%M %Z}" if next_reset else "",
        "charts": [
            spend_chart(series["spend_per_day"]),
            videos_chart(series["videos_per_day"]),
            distribution_chart(series["cost_distribution"]),
            quota_chart(series["quota_by_project_today"]),
        ],
        "pages": [
            ("Publishing capacity", reverse("admin:ops_capacity")),
            ("Daily cost report", reverse("admin:costs_videocost_report")),
            ("Failed videos", reverse("admin:ops_failed_videos")),
            ("Waiting videos", reverse("admin:ops_waiting_videos")),
            ("Webhook deliveries", reverse("admin:webhooks_webhookevent_changelist")),
        ],
    }
