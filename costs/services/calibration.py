"""Learning what videos really cost: the p95 of recent finished videos, per level and service."""

import math
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from costs.models import CostCalibration, VideoCost
from videos.models import Video, VideoStatus
from ytempire.core.money import ZERO, money

from .pricing import CALIBRATION_CACHE_KEY, LEVELS, PRICED_SERVICES, SCRIPT_SCALED_SERVICES

# Where the pipeline records a video's script length (words), once the script is written.
SCRIPT_WORDS_LOOKUP = "metadata__pipeline__script__words"


def p95(values: list[Decimal]) -> Decimal:
    """The nearest-rank 95th percentile (a value that occurred; never interpolated down)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def cost_estimates_calibrate(*, window: int | None = None) -> dict:
    """Recompute, for each level, the p95 of the per-video spend on each service over the last
    ``window`` published videos at that level (COST_ESTIMATE_WINDOW, default 200), and store it.
    A service a video did not use counts as $0 for it. For the services whose spend grows with the
    script (SCRIPT_SCALED_SERVICES), also the p95 of the spend per 1,000 script words over those of
    the videos whose word count the pipeline recorded. Returns ``{level: samples}``."""
    window = window or int(getattr(settings, "COST_ESTIMATE_WINDOW", 200))
    now = timezone.now()
    report = {}
    with transaction.atomic():
        for level in LEVELS:
            words = dict(
                Video.objects.filter(status=VideoStatus.PUBLISHED, optimization_level=level)
                .order_by("-published_at")
                .values_list("pk", SCRIPT_WORDS_LOOKUP)[:window]
            )
            ids = list(words)
            spend: dict = {video_id: dict.fromkeys(PRICED_SERVICES, ZERO) for video_id in ids}
            for video_id, service, total in (
                VideoCost.objects.filter(video_id__in=ids, service__in=PRICED_SERVICES)
                .values("video_id", "service")
                .annotate(total=Sum("amount"))
                .values_list("video_id", "service", "total")
            ):
                spend[video_id][service] = money(total)
            report[level] = len(ids)
            for service in PRICED_SERVICES:
                if not ids:
                    CostCalibration.objects.filter(level=level, service=service).delete()
                    continue
                per_word = _per_1000_words(spend, words, service) if service in SCRIPT_SCALED_SERVICES else []
                CostCalibration.objects.update_or_create(
                    level=level,
                    service=service,
                    defaults={
                        "amount": max(ZERO, p95([row[service] for row in spend.values()])),
                        "samples": len(ids),
                        "per_1000_script_words": max(ZERO, p95(per_word)) if per_word else None,
                        "word_samples": len(per_word),
                        "computed_at": now,
                    },
                )
    cache.delete(CALIBRATION_CACHE_KEY)
    return report


def _per_1000_words(spend: dict, words: dict, service: str) -> list[Decimal]:
    """Each video's spend on ``service`` per 1,000 words of its script (videos with a known,
    positive word count), rounded up to the 1/10,000 dollar so the p95 never understates it."""
    rates = []
    for video_id, row in spend.items():
        count = words.get(video_id)
        if isinstance(count, int) and count > 0:
            rates.append((row[service] * 1000 / count).quantize(Decimal("0.0001"), rounding=ROUND_CEILING))
    return rates
