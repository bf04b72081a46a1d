"""Channel automation: queue videos for automated channels, within every limit and capacity.

Runs every 15 minutes (beat) and from ``manage.py run_automation [--dry-run]``. For each active
channel with automation on that is connected to its YouTube channel, it queues enough videos to
keep up with the channel's daily limit spread over the UTC day, never past the channel's or the
owner's daily limit, never more than the channel's own account can still publish today (minus its
videos already on their way, within its Google project's bucket), never when the daily cost budget
is paused, and never more than the budget left pays for at the channel's optimization level.
Titles come from the LLM in the channel's niche, avoiding recent titles.
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
from costs.selectors import cost_budget_status
from costs.services import estimate_video_cost, level_config, rate_table
from ytempire.core.exceptions import ApplicationError
from ytempire.core.money import money

from .models import OptimizationLevel, Video
from .providers import ProviderError, script_provider
from .publishing.capacity import channel_upload_room
from .services import utc_day_start, video_generate
from .spending import video_charge

logger = logging.getLogger(__name__)

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
    room: dict = field(default_factory=dict)  # per automated channel: uploads it can still take today


def _automated_channels():
    """Channels automation serves: active, automation on, connected to their YouTube channel,
    owned by an active user."""
    return Channel.objects.filter(
        automation_enabled=True,
        status=ChannelStatus.ACTIVE,
        youtube_account_id__isnull=False,
        user__is_active=True,
    )


def automation_limits(*, now: datetime) -> AutomationLimits:
    """What the platform can still take today: uploads the automated channels can still publish
    (each through its own account, after the videos already on their way) and budget left."""
    budget = cost_budget_status(at=now)
    room = channel_upload_room(channel_ids=list(_automated_channels().values_list("pk", flat=True)), now=now)
    upload_room = sum(room.values())
    return AutomationLimits(
        upload_room=upload_room,
        budget_left=budget.left,
        paused=budget.paused,
        note=f"{len(room)} connected channel(s) can still publish {upload_room} today",
        room=room,
    )


def _spread_target(limit: int, now: datetime) -> int:
    """How many of ``limit`` daily videos should exist by the end of this automation slot."""
    elapsed = (now - utc_day_start(now)) + RUN_EVERY
    return min(limit, math.ceil(limit * elapsed / timedelta(days=1)))


def _record_title_cost(*, video_id: str, tokens: int, model: str, rates: dict) -> None:
    """Title generation is charged to the first video it produced, so no cent goes unrecorded."""
    amount = money(Decimal(tokens) / 1000 * rates[("openai", model)])
    if amount > 0:
        video = Video.objects.get(pk=video_id)
        video_charge(video=video, service="openai", amount=amount, metadata={"step": "titles", "tokens": tokens})


def automation_run(*, now: datetime | None = None, dry_run: bool = False) -> list[AutomationPlan]:
    """Queue the videos automation owes; ``dry_run`` only reports what it would queue."""
    now = now or timezone.now()
    limits = automation_limits(now=now)
    if limits.paused:
        logger.info("automation skipped: daily cost budget reached")
        return []
    since = utc_day_start(now)
    channels = list(_automated_channels().select_related("user").order_by("created_at"))
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
    budget_left = limits.budget_left
    provider = script_provider()
    title_model = level_config(level=OptimizationLevel.ECONOMY)["openai"]
    # Prices and estimates once per pass, not once per channel.
    rates = rate_table()
    per_level = {level: estimate_video_cost(level=level, rates=rates).total for level in OptimizationLevel.values}
    plans: list[AutomationPlan] = []
    for channel in channels:
        level = (channel.settings or {}).get("optimization_level") or OptimizationLevel.STANDARD
        if level not in OptimizationLevel.values:
            level = OptimizationLevel.STANDARD
        per_video = per_level[level]
        owner = channel.user
        wanted = min(
            _spread_target(channel.daily_video_limit, now) - channel_today.get(channel.pk, 0),
            owner.daily_video_limit - owner_today.get(owner.pk, 0),
            limits.room.get(channel.pk, 0),
            int(budget_left // per_video) if per_video else limits.room.get(channel.pk, 0),
        )
        if wanted <= 0:
            continue
        plan = AutomationPlan(channel_id=str(channel.pk), channel_name=channel.name, owner=owner.email, wanted=wanted)
        plans.append(plan)
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
            _record_title_cost(video_id=plan.queued[0], tokens=tokens, model=title_model, rates=rates)
        logger.info(
            "automation queued videos",
            extra={"channel_id": plan.channel_id, "queued": len(plan.queued), "wanted": wanted},
        )
    return plans
