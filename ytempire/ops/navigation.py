"""The admin's sidebar (UNFOLD["SIDEBAR"]["navigation"]) and favicon: the pages staff use first,
then every model list grouped by what it is about. Items a user may not open are hidden."""

from django.templatetags.static import static
from django.urls import reverse


def favicon_url(request) -> str:
    # Declared so browsers do not ask for /favicon.ico (a 404 in the console of every admin page).
    return static("ops/favicon.svg")


def _can(permission: str):
    return lambda request: request.user.has_perm(permission)


def _changelist(app_model: str) -> str:
    return reverse(f"admin:{app_model.replace('.', '_')}_changelist")


def _model(title: str, icon: str, app_model: str) -> dict:
    app, model = app_model.split(".")
    return {"title": title, "icon": icon, "link": _changelist(app_model), "permission": _can(f"{app}.view_{model}")}


def sidebar(request) -> list[dict]:
    return [
        {
            "title": "Operations",
            "items": [
                {"title": "Dashboard", "icon": "dashboard", "link": reverse("admin:index")},
                {
                    "title": "Publishing capacity",
                    "icon": "speed",
                    "link": reverse("admin:ops_capacity"),
                    "permission": _can("youtube_pool.view_youtubeaccount"),
                },
                {
                    "title": "Daily cost report",
                    "icon": "bar_chart",
                    "link": reverse("admin:costs_videocost_report"),
                    "permission": _can("costs.view_videocost"),
                },
                {
                    "title": "Failed videos",
                    "icon": "error",
                    "link": reverse("admin:ops_failed_videos"),
                    "permission": _can("videos.view_video"),
                },
                {
                    "title": "Waiting videos",
                    "icon": "hourglass_top",
                    "link": reverse("admin:ops_waiting_videos"),
                    "permission": _can("videos.view_video"),
                },
                _model("Webhook deliveries", "webhook", "webhooks.webhookevent"),
            ],
        },
        {
            "title": "Content",
            "collapsible": True,
            "items": [
                _model("Channels", "live_tv", "channels.channel"),
                _model("Videos", "movie", "videos.video"),
                _model("Channel events", "history", "channels.channelevent"),
            ],
        },
        {
            "title": "YouTube",
            "collapsible": True,
            "items": [
                _model("YouTube accounts", "account_circle", "youtube_pool.youtubeaccount"),
                _model("Google projects", "cloud", "youtube_pool.googleproject"),
            ],
        },
        {
            "title": "Money",
            "collapsible": True,
            "items": [
                _model("Cost ledger", "receipt_long", "costs.videocost"),
                _model("Cost holds", "lock_clock", "costs.reservation"),
                _model("Service rates", "sell", "costs.servicerate"),
                _model("Subscriptions", "credit_card", "billing.billingsubscription"),
            ],
        },
        {
            "title": "Analytics",
            "collapsible": True,
            "items": [
                _model("Daily rollups", "calendar_month", "analytics.dailychannelrollup"),
                _model("Statistics sync", "sync", "analytics.channelstatssync"),
                _model("Channel statistics", "query_stats", "analytics.channelstatssnapshot"),
                _model("Revenue days", "payments", "analytics.channelrevenueday"),
            ],
        },
        {
            "title": "People and schedules",
            "collapsible": True,
            "items": [
                _model("Users", "person", "accounts.user"),
                _model("Groups", "group", "auth.group"),
                _model("Periodic tasks", "schedule", "django_celery_beat.periodictask"),
            ],
        },
        {
            "title": "API",
            "collapsible": True,
            "items": [
                {"title": "API documentation", "icon": "menu_book", "link": "/api/v1/docs"},
                {"title": "Health (detailed)", "icon": "monitor_heart", "link": "/api/v1/health/detailed"},
                {"title": "Metrics", "icon": "monitoring", "link": "/api/v1/metrics"},
            ],
        },
    ]
