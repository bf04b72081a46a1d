"""The bench data set, written with COPY into the bench database (bench/database.py decides when).

Shape (defaults: the issue's "590 channels, 23,600 videos, 42,000 cost rows"):
- ``users`` customers (PBKDF2 hash of BENCH_PASSWORD, computed once), skewed like a real customer
  base: a fifth on Scale own most channels, the rest on Growth and Starter; generous daily video
  limits (generate must never be refused during a run).
- ``channels`` channels (95% active), ``videos`` videos spread evenly over the last ``days`` days
  (today up to now), statuses by age (recent ones in flight, ``processing`` of them processing for
  the N8N progress webhook), their ledger rows (about 1.8 per video as in the issue: openai and
  rendering for a finished video, openai for half the failed ones) and YouTube statistics on
  published videos.
- ``pool_accounts`` platform YouTube accounts (4 in 5 active, the rest reserve) on ``projects``
  Google projects, each bound to a channel; with ``own_accounts`` every other active channel is bound
  to its owner's own account (customers connect their own channels; automation serves only bound
  channels, so this is what makes "one automation pass over 500 channels" mean 500 channels).
- When the analytics app is installed: its snapshots, revenue days, rollups and sync bookkeeping
  (bench/seed_analytics.py), or a note saying why not.

Rows are built in memory (deterministic for ``random_seed``), then written in one transaction.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .constants import BENCH_PASSWORD, EMAIL_DOMAIN
from .pgcopy import copy_rows

SEED_VERSION = 1
DEFAULT_VIDEOS = 23_600
NICHES = [
    "technology",
    "finance",
    "gaming",
    "cooking",
    "travel",
    "fitness",
    "education",
    "science",
    "history",
    "music",
    "diy",
    "pets",
]
TIER_WEIGHT = {"scale": 25.0, "growth": 6.25, "starter": 1.0}
TIER_CHANNEL_LIMIT = {"scale": 100, "growth": 25, "starter": 5}
Q4 = Decimal("0.0001")


@dataclass(frozen=True)
class SeedParams:
    users: int = 50
    channels: int = 590
    videos: int = DEFAULT_VIDEOS
    days: int = 90
    snapshot_days: int = 30
    pool_accounts: int = 15
    projects: int = 2
    processing: int = 100
    own_accounts: bool = True
    random_seed: int = 14

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SeedSummary:
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class World:
    """The rows being built, and the facts the analytics rows are derived from."""

    params: SeedParams
    now: datetime
    rng: random.Random
    users: list[dict] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)
    channels: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    videos: list[dict] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    video_days: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))  # (channel, day)
    spend: dict = field(default_factory=lambda: defaultdict(Decimal))  # (channel, budget day) -> USD
    published_views: dict = field(default_factory=lambda: defaultdict(list))  # channel -> [(id, at, views)]
    authorised: set = field(default_factory=set)  # channels that granted revenue reads

    @property
    def today(self) -> date:
        return self.now.date()

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


# --- helpers ------------------------------------------------------------------------------------


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), each share at least 1
    when ``total`` allows it."""
    if not weights:
        return []
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    raw = [rest * w / sum(weights) for w in weights]
    shares = [floor + int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _tier(i: int, users: int) -> str:
    if i < max(1, round(users * 0.2)):
        return "scale"
    if i < round(users * 0.5):
        return "growth"
    return "starter"


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Q4)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _status_for(age_days: float, rng: random.Random) -> str:
    x = rng.random()
    if age_days >= 2:
        return "published" if x < 0.90 else ("failed" if x < 0.97 else "cancelled")
    for status, upto in (
        ("published", 0.60),
        ("queued", 0.70),
        ("processing", 0.78),
        ("ready", 0.83),
        ("uploading", 0.87),
        ("failed", 0.96),
    ):
        if x < upto:
            return status
    return "cancelled"


def views_at(final: int, age_days: float) -> int:
    """A video's views ``age_days`` after publication (most views in the first two weeks)."""
    return int(final * (1 - math.exp(-max(0.0, age_days) / 5)))


# --- the steps ----------------------------------------------------------------------------------


def _users(w: World) -> None:
    encoded = make_password(BENCH_PASSWORD)
    for i in range(w.params.users):
        tier = _tier(i, w.params.users)
        created = w.now - timedelta(days=w.params.days + 60 - i)
        w.users.append(
            {
                "id": w.new_id(),
                "email": f"bench-user-{i:03d}@{EMAIL_DOMAIN}",
                "password": encoded,
                "full_name": f"Bench User {i:03d}",
                "tier": tier,
                "role": "user",
                "is_active": True,
                "is_verified": True,
                "channel_limit": TIER_CHANNEL_LIMIT[tier],
                # Generous on purpose: a run queues thousands of videos and must never be refused.
                "daily_video_limit": 1_000_000,
                "created_at": created,
                "updated_at": created,
            }
        )


def _projects(w: World) -> None:
    for p in range(w.params.projects):
        w.projects.append(
            {
                "id": w.new_id(),
                "name": f"bench-project-{p + 1}",
                "client_id": f"bench-client-{p + 1}.apps.googleusercontent.example",
                "is_sandbox": True,
                "last_reset_at": day_start(w.today),
                "created_at": w.now - timedelta(days=w.params.days + 90),
                "updated_at": w.now,
            }
        )


def _channels(w: World) -> None:
    shares = _allocate(w.params.channels, [TIER_WEIGHT[u["tier"]] for u in w.users])
    for user, share in zip(w.users, shares, strict=True):
        for n in range(share):
            niche = NICHES[(len(w.channels) + n) % len(NICHES)]
            x = w.rng.random()
            status = "active" if x < 0.95 else ("paused" if x < 0.98 else "pending_oauth")
            created = w.now - timedelta(days=w.params.days + 30, minutes=w.rng.randrange(0, 60 * 24 * 30))
            w.channels.append(
                {
                    "id": w.new_id(),
                    "user_id": user["id"],
                    "name": f"{niche.title()} channel {len(w.channels) + 1}",
                    "description": f"A {niche} channel of the bench data set.",
                    "niche": niche,
                    "status": status,
                    "automation_enabled": status == "active",
                    # The validator's maximum: a run queues ~20 videos per channel.
                    "daily_video_limit": 100,
                    "upload_time_utc": f"{w.rng.randrange(24):02d}:00",
                    "settings": {"optimization_level": "standard"},
                    "total_revenue_cents": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )


def _account(w: World, *, n: int, owner_id, pool: bool, reserve: bool, created: datetime) -> dict:
    kind = "pool" if pool else "own"
    return {
        "id": w.new_id(),
        "project_id": w.projects[n % len(w.projects)]["id"] if w.projects else None,
        "owner_id": owner_id,
        "email": f"bench-pool-{n:02d}@{EMAIL_DOMAIN}" if pool else None,
        "channel_id": f"UCbench{kind}{n:013d}" if pool else f"UCbench{kind}{n:014d}",
        "channel_handle": f"@bench-pool-{n:02d}" if pool else f"@bench-own-{n:04d}",
        "is_reserve": reserve,
        "is_sandbox": True,
        "daily_upload_cap": 2 if reserve else 5,
        "token_expires_at": w.now + timedelta(days=30),
        "last_reset_at": day_start(w.today),
        "created_at": created,
        "updated_at": w.now,
    }


def _accounts(w: World) -> None:
    """The pool on the projects, bound to the first active channels (the biggest customers'), then
    (own_accounts) each other active channel's own account."""
    for a in range(w.params.pool_accounts):
        reserve = a >= round(w.params.pool_accounts * 0.8)
        created = w.now - timedelta(days=w.params.days + 60)
        w.accounts.append(_account(w, n=a, owner_id=None, pool=True, reserve=reserve, created=created))
    active = [c for c in w.channels if c["status"] == "active"]
    for account, channel in zip(w.accounts, active, strict=False):
        channel["youtube_account_id"] = account["id"]
    if w.params.own_accounts:
        for c, channel in enumerate(active[len(w.accounts) :]):
            account = _account(
                w, n=c, owner_id=channel["user_id"], pool=False, reserve=False, created=channel["created_at"]
            )
            w.accounts.append(account)
            channel["youtube_account_id"] = account["id"]
    by_id = {a["id"]: a for a in w.accounts}
    for channel in w.channels:
        account = by_id.get(channel.get("youtube_account_id"))
        if account:
            channel["youtube_channel_id"] = account["channel_id"]
            channel["youtube_channel_handle"] = account["channel_handle"]


def _video(w: World, *, channel: dict, created: datetime, number: int) -> dict:
    """One video, its ledger rows (``w.costs``) and the day counters the rollups are built from."""
    now = w.now
    status = _status_for((now - created) / timedelta(days=1), w.rng)
    vid = w.new_id()
    level = "standard" if w.rng.random() < 0.8 else "economy"
    video = {
        "id": vid,
        "channel_id": channel["id"],
        "title": f"{channel['niche'].title()} video {number + 1}",
        "description": "Bench video.",
        "tags": [channel["niche"], "bench"],
        "category_id": "22",
        "status": status,
        "optimization_level": level,
        "priority": 5,
        "estimated_cost": Decimal("0.5860") if level == "standard" else Decimal("0.1780"),
        "queued_at": created,
        "created_at": created,
        "updated_at": created,
    }
    if status != "queued":
        video["processing_started_at"] = created + timedelta(seconds=30)
    ledger = []
    # About 1.8 rows a video: openai and rendering for a finished one, openai for half the failed ones.
    if status in ("published", "ready", "uploading") or (status == "failed" and w.rng.random() < 0.5):
        ledger.append(("openai", 0.05 + w.rng.random() * 0.15, 2))
    if status in ("published", "ready", "uploading"):
        ledger.append(("rendering", 0.08 + w.rng.random() * 0.12, 9))
        video["processing_completed_at"] = created + timedelta(minutes=10)
    if status == "failed":
        video["error_message"] = "Render failed (bench data)"
    breakdown, total = {}, Decimal("0")
    for service, amount, minutes in ledger:
        at = min(created + timedelta(minutes=minutes), now)
        value = money(amount)
        w.costs.append(
            {"video_id": vid, "service": service, "amount": value, "timestamp": at, "budget_date": at.date()}
        )
        w.spend[(channel["id"], at.date())] += value
        breakdown[service] = str(value)
        total += value
    video["total_cost"] = total
    video["cost_breakdown"] = breakdown
    w.video_days[(channel["id"], created.date())][f"created_{status}"] += 1
    if status == "published":
        published_at = min(created + timedelta(minutes=15), now)
        final = int(w.rng.lognormvariate(7.0, 1.2))
        views = views_at(final, (now - published_at) / timedelta(days=1))
        video.update(
            published_at=published_at,
            youtube_video_id=f"bv{number:09d}",
            youtube_url=f"https://youtube.example/watch?v=bv{number:09d}",
            youtube_account_used_id=channel.get("youtube_account_id"),
            view_count=views,
            like_count=views // 25,
            comment_count=views // 200,
            stats_updated_at=now - timedelta(minutes=30),
            estimated_revenue=money(views * 0.002) if channel["id"] in w.authorised else None,
        )
        w.video_days[(channel["id"], published_at.date())]["published"] += 1
        w.published_views[channel["id"]].append((vid, published_at, final))
    return video


def _videos(w: World) -> None:
    """Spread evenly over the days (today up to now), round-robin over the channels."""
    p, now, today = w.params, w.now, w.today
    first_day = today - timedelta(days=p.days - 1)
    per_day = p.videos / (p.days - 1 + (now - day_start(today)) / timedelta(days=1))
    w.authorised = {c["id"] for c in w.channels if w.rng.random() < 0.3}
    order = sorted(w.channels, key=lambda c: (w.rng.random(), c["name"]))
    made = 0
    for d in range(p.days):
        day = first_day + timedelta(days=d)
        span = timedelta(days=1) if day != today else now - day_start(today) - timedelta(minutes=1)
        count = max(0, (p.videos if d == p.days - 1 else round(per_day * (d + 1))) - made)
        for k in range(count):
            channel = order[(made + k) % len(order)]
            created = day_start(day) + span * ((k + 0.5) / count)
            w.videos.append(_video(w, channel=channel, created=created, number=made + k))
        made += count
    # Enough processing videos for the N8N progress webhook, the most recent first.
    in_flight = [v for v in reversed(w.videos) if v["status"] in ("queued", "ready", "uploading")]
    have = sum(1 for v in w.videos if v["status"] == "processing")
    for video in in_flight[: max(0, p.processing - have)]:
        counters = w.video_days[(video["channel_id"], video["created_at"].date())]
        counters[f"created_{video['status']}"] -= 1
        counters["created_processing"] += 1
        video["status"] = "processing"
        video["processing_started_at"] = video["created_at"] + timedelta(seconds=30)


def _channel_totals(w: World) -> None:
    per_channel: dict = defaultdict(int)
    for video in w.videos:
        per_channel[video["channel_id"]] += 1
    for channel in w.channels:
        items = w.published_views.get(channel["id"], [])
        channel["total_videos"] = per_channel[channel["id"]]
        channel["total_views"] = sum(views_at(final, (w.now - at) / timedelta(days=1)) for _, at, final in items)
        channel["total_subscribers"] = channel["total_views"] // 40
        if channel["id"] in w.authorised:
            channel["total_revenue_cents"] = int(channel["total_views"] * 0.2)


# --- the seed -----------------------------------------------------------------------------------


def seed(params: SeedParams, *, now: datetime | None = None, log=print) -> SeedSummary:
    """Write the data set into the (empty, migrated) current database in one transaction."""
    from accounts.models import User
    from channels.models import Channel
    from costs.models import VideoCost
    from videos.models import Video
    from youtube_pool.models import GoogleProject, YouTubeAccount

    from .seed_analytics import seed_analytics

    started = timezone.now()
    w = World(params=params, now=(now or timezone.now()).astimezone(UTC), rng=random.Random(params.random_seed))
    summary = SeedSummary()
    _users(w)
    _projects(w)
    _channels(w)
    _accounts(w)
    _videos(w)
    _channel_totals(w)
    with transaction.atomic():
        for name, model, rows in (
            ("users", User, w.users),
            ("google_projects", GoogleProject, w.projects),
            ("youtube_accounts", YouTubeAccount, w.accounts),
            ("channels", Channel, w.channels),
            ("videos", Video, w.videos),
            ("video_costs", VideoCost, w.costs),
        ):
            summary.rows[name] = copy_rows(model, rows)
        if apps.is_installed("analytics"):
            try:
                with transaction.atomic():
                    seed_analytics(w, summary)
            except Exception as exc:  # the app is being built: measure the rest, say why
                summary.notes.append(f"analytics not seeded: {exc.__class__.__name__}: {exc}"[:300])
        else:
            summary.notes.append("analytics app not installed: no snapshots or rollups seeded")
    summary.seconds = (timezone.now() - started).total_seconds()
    log(
        "seeded "
        + ", ".join(f"{n:,} {name}" for name, n in summary.rows.items())
        + f" in {summary.seconds:.1f}s"
        + "".join(f"\n  note: {note}" for note in summary.notes)
    )
    return summary
