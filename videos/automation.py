"""Channel automation: queue videos for automated channels, within every limit and capacity.

Runs every 15 minutes (beat) and from ``manage.py run_automation [--dry-run]``. For each active
channel with automation on, it queues enough videos to keep up with the channel's daily limit
spread over the UTC day, never past the channel's or the owner's daily limit, never more than
the YouTube pool can still upload today (minus videos already on their way), never when the
daily cost budget is paused, and never more than the budget left pays for at the channel's
optimization level. Titles come from the LLM in the channel's niche, avoiding recent titles.
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from ytempire.core.exceptions import ApplicationError

from .models import OptimizationLevel, Video, VideoStatus
from .providers import ProviderError, script_provider
from .services import utc_day_start, video_generate

logger = logging.getLogger(__name__)

S = VideoStatus
IN_FLIGHT = (S.QUEUED, S.PROCESSING, S.READY, S.UPLOADING)
RUN_EVERY = timedelta(minutes=15)


@dataclass
class AutomationPlan:
    channel_id: str
    channel_name: str
    owner: str
    wanted: int
    titles: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class AutomationLimits:
    upload_room: int
    budget_left: Decimal
    paused: bool
    note: str = ""


def automation_limits(*, now: datetime) -> AutomationLimits:
    """What the platform can still take today: uploads left in the pool and budget left."""
    from costs.services import cost_budget_status
    from youtube_pool.services import pool_capacity

    budget = cost_budget_status(at=now)
    capacity = int(pool_capacity(now=now)["uploads_possible_today"])
    in_flight = Video.objects.filter(status__in=IN_FLIGHT).count()
    return AutomationLimits(
        upload_room=max(0, capacity - in_flight),
        budget_left=max(
            Decimal(0), min(budget.daily_budget - budget.day_total, budget.monthly_budget - budget.month_total)
        ),
        paused=budget.paused,
        note=f"pool can still upload {capacity}, {in_flight} videos in flight",
    )


def _spread_target(limit: int, now: datetime) -> int:
    """How many of ``limit`` daily videos should exist by the end of this automation slot."""
    elapsed = (now - utc_day_start(now)) + RUN_EVERY
    return min(limit, math.ceil(limit * elapsed / timedelta(days=1)))


def _record_title_cost(*, video_id: str, tokens: int, model: str) -> None:
    """Title generation is charged to the first video it produced, so no cent goes unrecorded."""
    from costs.services import cost_record, rate_table

    amount = (Decimal(tokens) / 1000 * rate_table()[("openai", model)]).quantize(Decimal("0.0001"))
    if amount > 0:
        video = Video.objects.get(pk=video_id)
        cost_record(video=video, service="openai", amount=amount, metadata={"step": "titles", "tokens": tokens})


def automation_run(*, now: datetime | None = None, dry_run: bool = False) -> list[AutomationPlan]:
    """Queue the videos automation owes; ``dry_run`` only reports what it would queue."""
    from costs.services import estimate_video_cost, level_config

    now = now or timezone.now()
    limits = automation_limits(now=now)
    if limits.paused:
        logger.info("automation skipped: daily cost budget reached")
        return []
    since = utc_day_start(now)
    channels = list(
        Channel.objects.filter(automation_enabled=True, status=ChannelStatus.ACTIVE)
        .select_related("user")
        .filter(user__is_active=True)
        .order_by("created_at")
    )
    channel_today = dict(
        Video.objects.filter(channel__in=channels, created_at__gte=since)
        .values_list("channel_id")
        .annotate(n=Count("id"))
    )
    owner_today = dict(
        Video.objects.filter(channel__user_id__in={c.user_id for c in channels}, created_at__gte=since)
        .values_list("channel__user_id")
        .annotate(n=Count("id"))
    )
    upload_room, budget_left = limits.upload_room, limits.budget_left
    provider = script_provider()
    title_model = level_config(level=OptimizationLevel.ECONOMY)["openai"]
    plans: list[AutomationPlan] = []
    for channel in channels:
        level = (channel.settings or {}).get("optimization_level") or OptimizationLevel.STANDARD
        if level not in OptimizationLevel.values:
            level = OptimizationLevel.STANDARD
        per_video = estimate_video_cost(level=level).total
        owner = channel.user
        wanted = min(
            _spread_target(channel.daily_video_limit, now) - channel_today.get(channel.pk, 0),
            owner.daily_video_limit - owner_today.get(owner.pk, 0),
            upload_room,
            int(budget_left // per_video) if per_video else upload_room,
        )
        if wanted <= 0:
            continue
        plan = AutomationPlan(channel_id=str(channel.pk), channel_name=channel.name, owner=owner.email, wanted=wanted)
        plans.append(plan)
        upload_room -= wanted
        budget_left -= per_video * wanted
        owner_today[owner.pk] = owner_today.get(owner.pk, 0) + wanted
        if dry_run:
            plan.note = f"would queue {wanted} at {level} (~${per_video} each)"
            continue
        recent = list(
            Video.objects.filter(channel=channel)
            .order_by("-created_at")
            .values_list("title", flat=True)[: settings.AUTOMATION_RECENT_TITLES]
        )
        try:
            titles, tokens = provider.titles(niche=channel.niche, avoid=recent, count=wanted, model=title_model)
        except ProviderError as exc:
            plan.note = f"title generation failed: {exc}"
            logger.warning("automation: titles failed", extra={"channel_id": plan.channel_id, "error": str(exc)})
            continue
        seen = {title.lower() for title in recent}
        for title in titles:
            if title.lower() in seen or len(plan.queued) >= wanted:
                continue
            seen.add(title.lower())
            try:
                video = video_generate(
                    user=owner,
                    channel_id=channel.pk,
                    title=title,
                    optimization_level=level,
                    priority=int((channel.settings or {}).get("priority", 5)),
                    metadata={"source": "automation"},
                )
            except ApplicationError as exc:
                plan.note = f"stopped: {exc.message}"
                break
            plan.titles.append(title)
            plan.queued.append(str(video.pk))
        if plan.queued and tokens:
            _record_title_cost(video_id=plan.queued[0], tokens=tokens, model=title_model)
        logger.info(
            "automation queued videos",
            extra={"channel_id": plan.channel_id, "queued": len(plan.queued), "wanted": wanted},
        )
    return plans
