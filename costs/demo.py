"""Demo data for `make run`: what the demo customer's demo videos cost, in the ledger.

Each demo video (``metadata["demo"]``; the videos demo runs first) is charged for the steps its
status says it went through, at believable fractions of its level's estimate (a published one
never shows $0.00), and never before it existed: a video made today is charged now through
``cost_record``; a back-catalogue video published on an earlier day has its charges dated when
each of its steps ran that day, so the daily report has a little history. A video already in the
ledger (e.g. the one the sandbox pipeline really produces) is left alone.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from costs.models import VideoCost
from costs.services import budget_date_for, cost_record, estimate_video_cost
from videos.models import Video, VideoStatus
from ytempire.core.money import money

DEMO_MARK = "costs-demo"
DEMO_METADATA = {"source": DEMO_MARK, "sandbox": True}
S = VideoStatus
# The services a video was charged for, by how far it got. Cancelled demo videos never started;
# a processing one is charged by the pipeline itself when the sweeper resumes it.
SPENT_BY_STATUS = {
    S.READY: ("openai", "tts", "rendering", "thumbnail"),
    S.UPLOADING: ("openai", "tts", "rendering", "thumbnail"),
    S.PUBLISHED: ("openai", "tts", "rendering", "thumbnail", "upload"),
    S.FAILED: ("openai", "tts"),
}
FIXED_PRICE = {"thumbnail", "upload"}  # charged at the estimate; the others at a share of it


def _amount(video: Video, service: str, estimate: dict[str, Decimal]) -> Decimal:
    if service in FIXED_PRICE:
        return money(estimate[service])
    share = random.Random(f"{video.pk}:{service}").uniform(0.55, 0.95)  # reproducible per video
    return money(estimate[service] * Decimal(str(round(share, 3))))


def _when(video: Video, service: str) -> datetime:
    """When the step ran in the video's own history (back catalogue)."""
    started = video.processing_started_at or video.created_at
    rendered = video.processing_completed_at or started
    return {
        "openai": started + timedelta(minutes=1),
        "tts": started + timedelta(minutes=3),
        "rendering": rendered,
        "thumbnail": rendered,
        "upload": video.published_at or rendered,
    }[service]


def _record_dated(video: Video, service: str, amount: Decimal, at: datetime) -> None:
    """A ledger row dated in the past (cost_record always stamps now). Saved row by row: the
    ledger's post_save keeps the video's total and the counters in step, as for any charge."""
    entry = VideoCost(
        video_id=video.pk,
        service=service,
        amount=amount,
        timestamp=at,
        budget_date=budget_date_for(at),
        metadata=dict(DEMO_METADATA),
    )
    entry.full_clean(exclude=["video", "reservation"])
    entry.save(force_insert=True)


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: a video is charged once (skipped when it has any ledger row)."""
    videos = list(
        Video.objects.filter(channel__user=customer, metadata__demo=True, status__in=list(SPENT_BY_STATUS))
        .exclude(costs__isnull=False)
        .order_by("created_at")
    )
    if not Video.objects.filter(channel__user=customer).exists():
        return "no demo videos yet; cost ledger left empty"
    today = budget_date_for(timezone.now())
    created = 0
    for video in videos:
        estimate = estimate_video_cost(level=video.optimization_level).breakdown
        dated = budget_date_for(video.created_at) < today  # the back catalogue
        for service in SPENT_BY_STATUS[video.status]:
            amount = _amount(video, service, estimate)
            if dated:
                _record_dated(video, service, amount, _when(video, service))
            else:
                cost_record(video=video, service=service, amount=amount, metadata=dict(DEMO_METADATA))
            created += 1
    if not created:
        return f"{VideoCost.objects.filter(video__channel__user=customer).count()} ledger rows (demo already loaded)"
    return f"{created} demo ledger rows on {len(videos)} video(s)"
