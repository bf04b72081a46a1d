"""Operations pages of the admin, opened with the staff session (no JWT): publishing capacity, the
failed-videos queue with retry, and the videos parked on purpose with their reason and until-when.

They read through the apps' selectors or one bounded query, and act only through services (a
retry is ``videos.services.video_requeue``, marked as a staff action like the admin's own).
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.fields.json import KT
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.selectors import ATTENTION_WINDOW
from videos import services as video_services
from videos.admin import VideoAdmin, WaitingForFilter
from videos.models import ACTIVE_STATUSES, Video, VideoStatus
from videos.publishing.capacity import publishing_capacity
from ytempire.core.exceptions import ApplicationError

# A page shows at most this many rows; the rest are in the filtered video list it links to.
PAGE_ROWS = 200
# The dashboard's "failed, needing attention" counts the failures of this window: the queue opens on it.
FAILED_DAYS_DEFAULT = ATTENTION_WINDOW.days
FAILED_DAYS_MAX = 90


def failed_videos(*, now=None, days: int = FAILED_DAYS_DEFAULT):
    """Failed videos whose failure is at most ``days`` old (a failed video is not touched again until
    a retry moves it back to queued), newest first: with the default window, the videos the
    dashboard counts as needing attention. Uses the status index."""
    now = now or timezone.now()
    return (
        Video.objects.filter(status=VideoStatus.FAILED, updated_at__gte=now - timedelta(days=days))
        .select_related("channel")
        .order_by("-updated_at", "-id")
    )


def waiting_videos(*, reason: str | None = None):
    """Unfinished videos parked on purpose (``metadata.pipeline.wait``): budget, upload time, channel
    capacity, project quota, a missing or broken YouTube connection."""
    qs = Video.objects.filter(status__in=ACTIVE_STATUSES, metadata__pipeline__has_key="wait")
    if reason:
        qs = qs.filter(metadata__pipeline__wait__reason=reason)
    return qs


def _percent(used: int, limit: int) -> int:
    return 0 if not limit else min(100, round(used * 100 / limit))


def _int_param(request, name: str, *, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(request.GET.get(name, default)), high))
    except (TypeError, ValueError):
        return default


class OperationsPages:
    """The pages, bound to the admin site (its login, CSRF protection and sidebar)."""

    def __init__(self, site):
        self.site = site

    def urls(self) -> list:
        view = self.site.admin_view
        return [
            path("operations/capacity/", view(self.capacity_view), name="ops_capacity"),
            path("operations/failed-videos/", view(self.failed_videos_view), name="ops_failed_videos"),
            path("operations/waiting-videos/", view(self.waiting_videos_view), name="ops_waiting_videos"),
        ]

    def _render(self, request, template: str, title: str, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {**self.site.each_context(request), "title": title, **context})

    @staticmethod
    def _require(request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    # --- capacity --------------------------------------------------------------------
    def capacity_view(self, request):
        """Per Google project the three buckets with the next Pacific reset; per account its uploads
        today against its cap, health and state; the uploads still possible today."""
        self._require(request, "youtube_pool.view_youtubeaccount")
        capacity = publishing_capacity()
        for project in capacity["projects"]:
            for bucket in project["buckets"].values():
                bucket["percent"] = _percent(bucket["used"], bucket["limit"])
        for account in capacity["accounts"]:
            account["percent"] = _percent(account["uploads_today"], account["daily_upload_cap"])
        return self._render(
            request,
            "admin/ops/capacity.html",
            "Publishing capacity",
            capacity=capacity,
            accounts_url=reverse("admin:youtube_pool_youtubeaccount_changelist"),
            projects_url=reverse("admin:youtube_pool_googleproject_changelist"),
        )

    # --- failed videos ---------------------------------------------------------------
    def failed_videos_view(self, request):
        """The failed videos of the last days, each with its reason and a retry button (POST)."""
        self._require(request, "videos.view_video")
        days = _int_param(request, "days", default=FAILED_DAYS_DEFAULT, low=1, high=FAILED_DAYS_MAX)
        if request.method == "POST":
            self._require(request, "videos.change_video")
            self._retry(request, request.POST.getlist("video"))
            return HttpResponseRedirect(f"{request.path}?days={days}")
        queryset = failed_videos(days=days)
        return self._render(
            request,
            "admin/ops/failed_videos.html",
            "Failed videos",
            videos=list(queryset[:PAGE_ROWS]),
            total=queryset.count(),
            days=days,
            can_retry=request.user.has_perm("videos.change_video"),
            changelist_url=reverse("admin:videos_video_changelist") + "?status__exact=failed",
        )

    def _retry(self, request, video_ids: list[str]) -> None:
        mark = VideoAdmin.staff_mark(request)
        try:
            videos = list(Video.objects.filter(pk__in=video_ids, status=VideoStatus.FAILED).order_by("created_at"))
        except ValidationError:  # not a UUID
            videos = []
        if not videos:
            messages.warning(request, "Nothing to retry: the video is no longer failed.")
            return
        for video in videos:
            try:
                video_services.video_requeue(video=video, reason="retried by staff", data=mark)
            except ApplicationError as exc:
                messages.error(request, f"\u201c{video.title}\u201d: {exc.message}")
            else:
                messages.success(request, f"Re-queued \u201c{video.title}\u201d.")

    # --- waiting videos --------------------------------------------------------------
    def waiting_videos_view(self, request):
        """Videos parked on purpose: what each waits for, until when, counted by reason."""
        self._require(request, "videos.view_video")
        reason = request.GET.get("reason") or None
        if reason not in WaitingForFilter.REASONS:
            reason = None
        counts = {
            row["reason"]: row["n"]
            for row in waiting_videos().values(reason=KT("metadata__pipeline__wait__reason")).annotate(n=Count("id"))
        }
        reasons = [
            {"reason": key, "label": label, "count": counts.get(key, 0), "active": key == reason}
            for key, label in WaitingForFilter.REASONS.items()
        ]
        rows = []
        queryset = waiting_videos(reason=reason).select_related("channel").order_by("created_at", "id")
        for video in queryset[:PAGE_ROWS]:
            wait = ((video.metadata or {}).get("pipeline") or {}).get("wait") or {}
            rows.append(
                {
                    "video": video,
                    "reason": WaitingForFilter.REASONS.get(wait.get("reason"), wait.get("reason") or "-"),
                    "detail": wait.get("detail") or "",
                    "until": parse_datetime(wait.get("until") or ""),
                }
            )
        rows.sort(key=lambda row: (row["until"] is None, row["until"] or timezone.now()))
        return self._render(
            request,
            "admin/ops/waiting_videos.html",
            "Waiting videos",
            rows=rows,
            reasons=reasons,
            reason=reason,
            total=sum(counts.values()) if reason is None else counts.get(reason, 0),
            now=timezone.now(),
            changelist_url=reverse("admin:videos_video_changelist"),
        )
