"""Prices, optimization levels and the pessimistic per-video estimate."""

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from costs.models import ServiceRate

from .errors import CostValidationError

FOUR_PLACES = Decimal("0.0001")

# Fallback prices (the seed's table) used only when a ServiceRate row is missing or inactive.
DEFAULT_RATES: dict[tuple[str, str], Decimal] = {
    ("openai", "gpt-3.5-turbo"): Decimal("0.0020"),
    ("openai", "gpt-4"): Decimal("0.0300"),
    ("tts", "google"): Decimal("0.0160"),
    ("tts", "elevenlabs"): Decimal("0.3000"),
    ("rendering", "720p"): Decimal("0.0100"),
    ("rendering", "1080p"): Decimal("0.0200"),
    ("thumbnail", "template"): Decimal("0.0100"),
    ("thumbnail", "dall-e-3"): Decimal("0.0400"),
    ("upload", "youtube"): Decimal("0.0100"),
}

# Maximum usage a step may consume, in the rate's unit. The estimate multiplies these by the
# price, so it is an upper bound: prompt + OPENAI_MAX_TOKENS completion, with one retry;
# a ~7 minute narration; a 10 minute render; one thumbnail; one upload.
MAX_USAGE: dict[str, Decimal] = {
    "openai": Decimal("8"),  # thousand tokens
    "tts": Decimal("6"),  # thousand characters
    "rendering": Decimal("10"),  # minutes
    "thumbnail": Decimal("1"),  # images
    "upload": Decimal("1"),  # uploads
}

# Which model each service uses per optimization level (the seed's economy config for economy).
LEVELS: dict[str, dict[str, str]] = {
    "economy": {
        "openai": "gpt-3.5-turbo",
        "tts": "google",
        "rendering": "720p",
        "thumbnail": "template",
        "upload": "youtube",
        "video_quality": "720p",
        "effects": "minimal",
    },
    "standard": {
        "openai": "gpt-4",
        "tts": "google",
        "rendering": "1080p",
        "thumbnail": "dall-e-3",
        "upload": "youtube",
        "video_quality": "1080p",
        "effects": "standard",
    },
    "premium": {
        "openai": "gpt-4",
        "tts": "elevenlabs",
        "rendering": "1080p",
        "thumbnail": "dall-e-3",
        "upload": "youtube",
        "video_quality": "1080p",
        "effects": "rich",
    },
}
PRICED_SERVICES = ("openai", "tts", "rendering", "thumbnail", "upload")


@dataclass(frozen=True)
class CostEstimate:
    """A pessimistic upper bound of what one video costs at ``level``."""

    level: str
    total: Decimal
    breakdown: dict[str, Decimal]
    config: dict[str, str] = field(default_factory=dict)


def level_config(*, level: str) -> dict[str, str]:
    """Models and settings a level uses (script model, TTS service, quality, effects)."""
    if level not in LEVELS:
        raise CostValidationError(
            f"Unknown optimization level '{level}'. Choose one of: {', '.join(LEVELS)}.",
            extra={"errors": [{"field": "optimization_level", "message": "Unknown optimization level."}]},
        )
    return dict(LEVELS[level])


def rate_table() -> dict[tuple[str, str], Decimal]:
    """Active prices by (service, model), falling back to the seed's prices for missing rows."""
    rates = dict(DEFAULT_RATES)
    for service, model, price in ServiceRate.objects.filter(is_active=True).values_list("service", "model", "price"):
        rates[(service, model)] = price
    return rates


def estimate_video_cost(
    *, level: str, usage: dict[str, Decimal] | None = None, rates: dict[tuple[str, str], Decimal] | None = None
) -> CostEstimate:
    """Upper-bound cost of one video at ``level``: each step's maximum usage times its price.

    Rounded up to the cent per step, so reserving the estimate never falls short. ``usage``
    overrides the maximum usage of some services (in their rate units).
    """
    config = level_config(level=level)
    rates = rates if rates is not None else rate_table()
    max_usage = {**MAX_USAGE, **(usage or {})}
    breakdown: dict[str, Decimal] = {}
    for service in PRICED_SERVICES:
        price = rates.get((service, config[service]), DEFAULT_RATES[(service, config[service])])
        cost = Decimal(max_usage[service]) * Decimal(price)
        breakdown[service] = cost.quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    total = sum(breakdown.values(), Decimal("0.00"))
    return CostEstimate(level=level, total=total, breakdown=breakdown, config=config)
