"""Demo videos for `make run`: per connected demo channel, titles from its own niche.

Each active demo channel gets six videos made today, walked through the state machine to
several statuses (one is really generated: the worker started by `make run` takes it from
queued to published), and a back catalogue of five videos published on the previous days,
whose history is dated on those days. What they cost is the costs demo's (costs/demo.py),
charged within each video's lifetime.
"""

import random
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from channels.models import Channel, ChannelStatus
from costs.services import estimate_video_cost

from .models import OptimizationLevel, Video, VideoEvent, VideoStatus
from .publishing.binding import channel_bind_free_pool_account
from .services import video_generate, video_transition
from .services.state import VideoStats, video_stats_record

S = VideoStatus
L = OptimizationLevel
PUBLISH = [S.PROCESSING, S.READY, S.UPLOADING, S.PUBLISHED]

# Eleven titles per niche: the first six are today's videos, the other five the back catalogue.
NICHE_TITLES: dict[str, list[str]] = {
    "Technology": [
        "Top 10 Gadgets of 2025",
        "Budget Phones Compared",
        "Is This Laptop Worth It?",
        "Smart Home Starter Kit",
        "Weekly Tech News",
        "Next Week's Picks",
        "The Best Wireless Earbuds Under $100",
        "Mechanical Keyboards Explained",
        "How to Speed Up an Old PC",
        "Tablet or Laptop for Students?",
        "Five Browser Extensions Worth Installing",
    ],
    "Cooking": [
        "5 One-Pan Dinners Under 30 Minutes",
        "Knife Skills Every Home Cook Needs",
        "The Perfect Sourdough, Step by Step",
        "Meal Prep for a Busy Week",
        "Why Your Steak Isn't Browning",
        "Three Sauces to Master This Weekend",
        "Crispy Roast Potatoes Every Time",
        "Homemade Pasta Without a Machine",
        "A Weeknight Curry in 20 Minutes",
        "Baking Bread: Common Mistakes",
        "Five Breakfasts You Can Make Ahead",
    ],
    "Finance": [
        "Index Funds Explained in 8 Minutes",
        "Building an Emergency Fund From Zero",
        "How Compound Interest Really Works",
        "Budgeting With the 50/30/20 Rule",
        "Paying Off Debt: Avalanche or Snowball?",
        "What a Credit Score Actually Measures",
        "Roth or Traditional: Which Retirement Account?",
        "Five Money Habits Worth Starting Now",
        "Renting vs Buying, by the Numbers",
        "How to Read a Pay Stub",
        "Saving for a Big Purchase Without Stress",
    ],
    "Travel": [
        "Lisbon in 48 Hours",
        "Packing Light: One Bag for Two Weeks",
        "Kyoto Beyond the Temples",
        "Cheap Flights: What Actually Works",
        "A Week in the Scottish Highlands",
        "Travel Insurance, Explained Simply",
        "Street Food Guide to Mexico City",
        "Rail Across Europe on a Budget",
        "Iceland's Ring Road in Seven Days",
        "Jet Lag: What Helps and What Doesn't",
        "Hidden Beaches of the Algarve",
    ],
}
GENERIC_TITLES = [
    "{niche}: A Beginner's Guide",
    "Five {niche} Myths, Debunked",
    "The {niche} Basics Nobody Explains",
    "{niche} Tools Worth Your Money",
    "This Week in {niche}",
    "What to Try Next in {niche}",
    "{niche} Questions, Answered",
    "Ten Minutes of {niche} Tips",
    "The Biggest {niche} Mistakes",
    "{niche} on a Budget",
    "A Year of {niche}: Lessons Learned",
]
# Today's videos: (optimization level, path through the state machine); None: really generated.
TODAY = [
    (L.STANDARD, PUBLISH),
    (L.ECONOMY, [S.PROCESSING, S.READY]),
    (L.PREMIUM, [S.PROCESSING]),
    (L.STANDARD, [S.PROCESSING, S.FAILED]),
    (L.STANDARD, [S.CANCELLED]),
    (L.ECONOMY, None),
]
BACK_CATALOGUE = [(L.STANDARD, 1), (L.ECONOMY, 2), (L.STANDARD, 3), (L.PREMIUM, 4), (L.STANDARD, 5)]  # days ago


def titles_for(niche: str) -> list[str]:
    """Eleven titles that fit the niche (its own list, or generic ones naming it)."""
    return NICHE_TITLES.get(niche) or [title.format(niche=niche) for title in GENERIC_TITLES]


def _connect_demo_channels(customer) -> int:
    """Bind each demo channel marked to connect to a free sandbox account of the pool (it becomes
    active, as after a real OAuth connection). Idempotent: bound channels are left as they are."""
    bound = 0
    for channel in Channel.objects.filter(
        user=customer, youtube_account__isnull=True, metadata__demo_connect=True
    ).order_by("name"):
        channel_bind_free_pool_account(channel_id=channel.pk, actor="demo")
        bound += 1
    return bound


def _walk(channel: Channel, title: str, level: str, path: list[str]) -> Video:
    """A demo video created queued and walked through ``path`` (each step a recorded transition)."""
    video = Video.objects.create(
        channel=channel,
        title=title,
        optimization_level=level,
        estimated_cost=estimate_video_cost(level=level).total,
        metadata={"demo": True},
    )
    video.events.create(from_status="", to_status=S.QUEUED, reason="demo data", at=video.created_at)
    for step in path:
        fields = {}
        if step == S.PUBLISHED:
            youtube_id = f"demo{video.pk.hex[:7]}"
            fields = {"youtube_video_id": youtube_id, "youtube_url": f"https://www.youtube.com/watch?v={youtube_id}"}
        error = "Demo: the render provider timed out" if step == S.FAILED else None
        video = video_transition(video=video, to_status=step, reason="demo data", error_message=error, fields=fields)
    return video


def _publish_time(channel: Channel, days_ago: int, now: datetime) -> datetime:
    """When a back-catalogue video went out: the channel's upload time that day (else mid-afternoon)."""
    hour, minute = (int(part) for part in (channel.upload_time_utc or "15:00").split(":"))
    return datetime.combine((now - timedelta(days=days_ago)).date(), time(hour, minute), tzinfo=UTC)


def _date_history(video: Video, *, published_at: datetime) -> None:
    """Demo only: place a just-walked published video's history on an earlier day (created two hours
    before it went out, rendered within the first quarter hour). Nothing else moves its timestamps."""
    created = published_at - timedelta(hours=2)
    at = {
        S.QUEUED: created,
        S.PROCESSING: created + timedelta(minutes=2),
        S.READY: created + timedelta(minutes=14),
        S.UPLOADING: published_at - timedelta(minutes=3),
        S.PUBLISHED: published_at,
    }
    for status, moment in at.items():
        VideoEvent.objects.filter(video=video, to_status=status).update(at=moment)
    Video.objects.filter(pk=video.pk).update(
        created_at=created,
        queued_at=created,
        processing_started_at=at[S.PROCESSING],
        processing_completed_at=at[S.READY],
        generation_time_seconds=int((at[S.READY] - at[S.PROCESSING]).total_seconds()),
        published_at=published_at,
        updated_at=published_at,
    )


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: skipped per channel once it has videos."""
    _connect_demo_channels(customer)
    channels = Channel.objects.filter(user=customer, status=ChannelStatus.ACTIVE).order_by("name")
    now = timezone.now()
    created = 0
    for channel in channels:
        if Video.objects.filter(channel=channel).exists():
            continue
        titles = titles_for(channel.niche)
        back_catalogue = []
        for (level, days_ago), title in zip(BACK_CATALOGUE, titles[len(TODAY) :], strict=True):
            video = _walk(channel, title, level, PUBLISH)
            _date_history(video, published_at=_publish_time(channel, days_ago, now))
            back_catalogue.append((video, days_ago))
        for (level, path), title in zip(TODAY, titles, strict=False):
            if path is None:
                # Queued through the service: on commit it is handed to the (sandbox) pipeline.
                video_generate(user=customer, channel_id=channel.pk, title=title, optimization_level=level)
            else:
                _walk(channel, title, level, path)
        created += len(TODAY) + len(back_catalogue)
        # What YouTube would say of them by now (older videos have had longer to be watched).
        rng = random.Random(str(channel.pk))  # demo numbers, reproducible per channel
        stats = []
        for video, days_ago in back_catalogue:
            views = rng.randint(180, 420) * days_ago
            stats.append(VideoStats(video_id=video.pk, views=views, likes=views // 25, comments=views // 140))
        video_stats_record(stats=stats, at=now)
    total = Video.objects.filter(channel__user=customer).count()
    return f"{total} demo videos ({created} new) across {channels.count()} active channels"
