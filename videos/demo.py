"""Demo videos for `make run`: a few per demo channel, walked through the state machine."""

from channels.models import Channel, ChannelStatus
from costs.services import estimate_video_cost

from .models import OptimizationLevel, Video, VideoStatus
from .services import video_generate, video_transition

S = VideoStatus
# (title, optimization level, path through the state machine)
DEMO_VIDEOS = [
    ("Top 10 Gadgets of 2025", OptimizationLevel.STANDARD, [S.PROCESSING, S.READY, S.UPLOADING, S.PUBLISHED]),
    ("Budget Phones Compared", OptimizationLevel.ECONOMY, [S.PROCESSING, S.READY]),
    ("Is This Laptop Worth It?", OptimizationLevel.PREMIUM, [S.PROCESSING]),
    ("Smart Home Starter Kit", OptimizationLevel.STANDARD, [S.PROCESSING, S.FAILED]),
    ("Weekly Tech News", OptimizationLevel.STANDARD, [S.CANCELLED]),
    ("Next Week's Picks", OptimizationLevel.ECONOMY, None),  # None: really generated, the worker runs it
]


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: skipped per channel once it has videos. Most videos are created queued and
    walked through video_transition (so each has its event history); one per channel is really
    generated, so the worker started by `make run` takes it from queued to published."""
    channels = Channel.objects.filter(user=customer, status=ChannelStatus.ACTIVE).order_by("name")
    created = 0
    for channel in channels:
        if Video.objects.filter(channel=channel).exists():
            continue
        for title, level, path in DEMO_VIDEOS:
            title = title if channel.niche == "Technology" else f"{channel.niche}: {title}"
            if path is None:
                # Queued through the service: on commit it is handed to the (sandbox) pipeline.
                video_generate(user=customer, channel_id=channel.pk, title=title, optimization_level=level)
                created += 1
                continue
            video = Video.objects.create(
                channel=channel,
                title=title,
                optimization_level=level,
                estimated_cost=estimate_video_cost(level=level).total,
                metadata={"demo": True},
            )
            video.events.create(from_status="", to_status=S.QUEUED, reason="demo data")
            for step in path:
                fields = {}
                if step == S.PUBLISHED:
                    fields = {"youtube_video_id": f"demo-{video.pk.hex[:11]}", "youtube_url": "https://youtu.be/demo"}
                error = "Demo: the render provider timed out" if step == S.FAILED else None
                video = video_transition(
                    video=video, to_status=step, reason="demo data", error_message=error, fields=fields
                )
            created += 1
    total = Video.objects.filter(channel__user=customer).count()
    return f"{total} demo videos ({created} new) across {channels.count()} active channels"
