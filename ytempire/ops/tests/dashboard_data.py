"""A hand-built operations day for the dashboard tests (server-side and in the browser), with what
the dashboard must show for it, counted by hand from the rows below."""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from channels.tests.factories import bound_channel
from costs.services import cost_record, cost_reserve
from videos.models import OptimizationLevel, Video, VideoEvent, VideoStatus
from videos.tests.factories import VideoFactory
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory

D = Decimal
S = VideoStatus
KPI = re.compile(
    r'data-kpi="(?P<key>\w+)" data-value="(?P<value>[^"]*)">\s*<div[^>]*>[^<]*</div>\s*<div[^>]*>(?P<shown>[^<]*)</div>'
)


@dataclass(frozen=True)
class OperationsDay:
    videos: dict
    kpis: dict  # key -> (raw value as the selector returns it, as the page shows it)


def build_operations_day() -> OperationsDay:
    """Today: two videos published (one after a staff action), one failed, one queued with a hold;
    ten days ago: one failed (past the attention window). One Google project, one bound account
    with 2 of its 5 uploads used. Costs go through the costs services (ledger, holds)."""
    now = timezone.now()
    project = GoogleProjectFactory(name="proj-one")
    account = YouTubeAccountFactory(project=project, channel_handle="@ops-one", uploads_today=2, daily_upload_cap=5)
    channel = bound_channel(account=account, name="Ops channel")
    cheap, dear = (
        VideoFactory(
            channel=channel,
            title=title,
            status=S.PROCESSING,
            optimization_level=OptimizationLevel.STANDARD,
            estimated_cost=D("1.0000"),
        )
        for title in ("Cheap one", "Dear one")
    )
    cost_record(video=cheap, service="openai", amount=D("0.8000"))
    cost_record(video=dear, service="openai", amount=D("1.2000"))
    Video.objects.filter(pk__in=[cheap.pk, dear.pk]).update(
        status=S.PUBLISHED, published_at=now - timedelta(seconds=30), youtube_account_used=account
    )
    VideoEvent.objects.create(
        video=dear, from_status=S.FAILED, to_status=S.QUEUED, reason="retried by staff", data={"staff": True}
    )
    failed = VideoFactory(channel=channel, title="Broken one", status=S.FAILED, error_message="render timed out")
    queued = VideoFactory(channel=channel, title="Next one", status=S.QUEUED)
    cost_reserve(video=queued, service="openai", amount=D("0.5000"))
    old = VideoFactory(channel=channel, title="Old failure", status=S.FAILED, error_message="old")
    Video.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10), updated_at=now - timedelta(days=10))
    target = settings.DAILY_VIDEO_TARGET
    return OperationsDay(
        videos={"cheap": cheap, "dear": dear, "failed": failed, "queued": queued, "old": old},
        kpis={
            "published_today": ("2", f"2 / {target}"),
            "automation_rate": ("0.5", "50%"),
            "failed_needing_attention": ("1", "1"),
            "uploads_possible_today": ("3", "3"),
            "spend_today": ("2.0000", "$2.00"),
            "spend_month": ("2.0000", "$2.00"),
            "cost_per_video_mean": ("1.0000", "$1.00"),
            "cost_per_video_p95": ("1.2000", "$1.20"),
        },
    )


def empty_kpis() -> dict:
    """What the dashboard shows with nothing in the database."""
    target = settings.DAILY_VIDEO_TARGET
    return {
        "published_today": ("0", f"0 / {target}"),
        "automation_rate": ("", "—"),
        "failed_needing_attention": ("0", "0"),
        "uploads_possible_today": ("0", "0"),
        "spend_today": ("0.0000", "$0.00"),
        "spend_month": ("0.0000", "$0.00"),
        "cost_per_video_mean": ("", "—"),
        "cost_per_video_p95": ("", "—"),
    }


def selector_kpis(overview: dict) -> dict:
    """The KPI cards' raw values, read straight from operations_overview()."""

    def raw(value):
        return "" if value is None else str(value)

    return {
        "published_today": raw(overview["today"]["published"]),
        "automation_rate": raw(overview["today"]["automation_rate"]),
        "failed_needing_attention": raw(overview["today"]["failed_needing_attention"]),
        "uploads_possible_today": raw(overview["capacity"]["uploads_possible_today"]),
        "spend_today": raw(overview["money"]["spend_today"]),
        "spend_month": raw(overview["money"]["spend_month"]),
        "cost_per_video_mean": raw(overview["money"]["cost_per_video"]["mean"]),
        "cost_per_video_p95": raw(overview["money"]["cost_per_video"]["p95"]),
    }


def page_kpis(html: str) -> dict:
    """``{key: (data-value, shown text)}`` of the KPI cards in the dashboard's HTML."""
    return {m["key"]: (m["value"], m["shown"].strip()) for m in KPI.finditer(html)}
