"""Prices, optimization levels, the per-video estimate and the bound of each call.

Two different numbers, on purpose:

- the **estimate** of a video (shown to users, used to decide how many videos the budget fits):
  per service the p95 of what recent videos at the level really cost, plus a margin, once the
  ledger has enough of them — the rate table's bound before that;
- the **hold** of a step: a safe upper bound of the one call about to be made (the prompt's
  characters plus ``max_tokens`` for the LLM, the exact characters for TTS, the render cap, one
  thumbnail, one upload), so a step can never spend more than it holds.
"""

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.cache import cache

from costs.models import CostCalibration, EstimateBasis, ServiceRate
from ytempire.core.money import MONEY_PLACES

from .errors import CostValidationError

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
# Services whose spend grows with the script's length and is not priced by its characters (TTS
# is): the calibration also learns their spend per 1,000 script words.
SCRIPT_SCALED_SERVICES = ("rendering",)


CALIBRATION_CACHE_KEY = "costs:calibration:v2"  # v2: Learned rows (v1 held tuples)
RATES_CACHE_KEY = "costs:rates:v1"
CACHE_SECONDS = 10 * 60
# Tokens the chat format adds around the messages (role markers, separators): a safe allowance.
CHAT_OVERHEAD_TOKENS = 32


@dataclass(frozen=True)
class CostEstimate:
    """What one video at ``level`` is expected to cost, per service, and on what basis."""

    level: str
    total: Decimal
    breakdown: dict[str, Decimal]
    config: dict[str, str] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)  # per service: EstimateBasis value
    samples: int = 0  # the fewest samples behind a ledger-based service (0: rate table only)

    @property
    def basis_label(self) -> str:
        """A sentence for people: "p95 of last 200 videos (+10%)", "rate table" or both; a revised
        estimate names its other parts too ("spent so far; exact voice price; ...")."""
        kinds = set(self.basis.values())
        learned = f"p95 of last {self.samples} videos (+{margin_percent()}%)"
        if kinds == {EstimateBasis.LEDGER}:
            return learned
        if kinds == {EstimateBasis.RATE_TABLE} or not kinds:
            return "rate table"
        if kinds == {EstimateBasis.LEDGER, EstimateBasis.RATE_TABLE}:
            return f"{learned}; rate table for the rest"
        parts = {
            EstimateBasis.SPENT: "spent so far",
            EstimateBasis.EXACT: "exact voice price",
            EstimateBasis.LEDGER_PER_WORD: f"p95 per script word (+{margin_percent()}%)",
            EstimateBasis.LEDGER: learned,
            EstimateBasis.RATE_TABLE: "rate table",
        }
        return "; ".join(label for kind, label in parts.items() if kind in kinds)


def margin_percent() -> int:
    return int(getattr(settings, "COST_ESTIMATE_MARGIN_PERCENT", 10))


def _ceil4(value: Decimal) -> Decimal:
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_CEILING)


def level_config(*, level: str) -> dict[str, str]:
    """Models and settings a level uses (script model, TTS service, quality, effects)."""
    if level not in LEVELS:
        raise CostValidationError(
            f"Unknown optimization level '{level}'. Choose one of: {', '.join(LEVELS)}.",
            extra={"errors": [{"field": "optimization_level", "message": "Unknown optimization level."}]},
        )
    return dict(LEVELS[level])


def _rates_from_database() -> dict[tuple[str, str], Decimal]:
    rates = dict(DEFAULT_RATES)
    for service, model, price in ServiceRate.objects.filter(is_active=True).values_list("service", "model", "price"):
        rates[(service, model)] = price
    cache.set(RATES_CACHE_KEY, rates, timeout=CACHE_SECONDS)
    return rates


def rate_table() -> dict[tuple[str, str], Decimal]:
    """Active prices by (service, model), falling back to the seed's prices for missing rows.

    Cached (every estimate and hold reads it); a ServiceRate saved or deleted drops the cache
    (costs.signals), so an edit applies to the next estimate."""
    cached = cache.get(RATES_CACHE_KEY)
    return dict(cached) if cached is not None else _rates_from_database()


def rate_table_forget() -> None:
    """Drop the cached prices (a ServiceRate changed)."""
    cache.delete(RATES_CACHE_KEY)


def _rate_bound(service: str, config: dict, rates: dict) -> Decimal:
    price = rates.get((service, config[service]), DEFAULT_RATES[(service, config[service])])
    return (Decimal(MAX_USAGE[service]) * Decimal(price)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def level_rate_bounds(*, level: str, rates: dict[tuple[str, str], Decimal] | None = None) -> dict[str, Decimal]:
    """The rate table's bound of each service at ``level`` (what an uncalibrated estimate uses)."""
    config, rates = level_config(level=level), rates if rates is not None else rate_table()
    return {service: _rate_bound(service, config, rates) for service in PRICED_SERVICES}


@dataclass(frozen=True)
class Learned:
    """One level and service's calibration: the p95 per video (over ``samples`` videos) and, for a
    service that scales with the script, the p95 per 1,000 script words (over ``word_samples``)."""

    amount: Decimal
    samples: int
    per_1000_words: Decimal | None = None
    word_samples: int = 0


def _calibrations_from_database() -> dict[tuple[str, str], Learned]:
    learned = {
        (level, service): Learned(amount, samples, per_word, word_samples)
        for level, service, amount, samples, per_word, word_samples in CostCalibration.objects.values_list(
            "level", "service", "amount", "samples", "per_1000_script_words", "word_samples"
        )
    }
    cache.set(CALIBRATION_CACHE_KEY, learned, timeout=CACHE_SECONDS)
    return learned


def calibrations() -> dict[tuple[str, str], Learned]:
    """``{(level, service): Learned}`` from the last calibration (cached)."""
    cached = cache.get(CALIBRATION_CACHE_KEY)
    return cached if cached is not None else _calibrations_from_database()


def _cached_inputs(rates: dict | None) -> tuple[dict, dict]:
    """The prices and the calibrations, both from the cache in one round trip when possible."""
    if rates is not None:
        return rates, calibrations()
    found = cache.get_many([RATES_CACHE_KEY, CALIBRATION_CACHE_KEY])
    rates = dict(found[RATES_CACHE_KEY]) if RATES_CACHE_KEY in found else _rates_from_database()
    learned = found.get(CALIBRATION_CACHE_KEY)
    return rates, (learned if learned is not None else _calibrations_from_database())


def _min_samples() -> int:
    return int(getattr(settings, "COST_ESTIMATE_MIN_SAMPLES", 30))


def _margin_factor() -> Decimal:
    return 1 + Decimal(margin_percent()) / 100


def estimate_video_cost(*, level: str, rates: dict[tuple[str, str], Decimal] | None = None) -> CostEstimate:
    """What one video at ``level`` is expected to cost.

    Per service: once the ledger has COST_ESTIMATE_MIN_SAMPLES finished videos at the level, the p95
    of their spend on it plus COST_ESTIMATE_MARGIN_PERCENT; before that, the rate table's bound
    (maximum usage times the price, rounded up to the cent).
    """
    rates, learned = _cached_inputs(rates)
    return _estimate(level=level, rates=rates, learned=learned)


def _estimate(*, level: str, rates: dict, learned: dict) -> CostEstimate:
    config = level_config(level=level)
    minimum, factor = _min_samples(), _margin_factor()
    breakdown: dict[str, Decimal] = {}
    basis: dict[str, str] = {}
    samples: list[int] = []
    for service in PRICED_SERVICES:
        calibration = learned.get((level, service))
        if calibration is not None and calibration.samples >= minimum:
            breakdown[service] = _ceil4(calibration.amount * factor)
            basis[service] = EstimateBasis.LEDGER
            samples.append(calibration.samples)
        else:
            breakdown[service] = _rate_bound(service, config, rates)
            basis[service] = EstimateBasis.RATE_TABLE
    total = sum(breakdown.values(), Decimal("0.0000"))
    return CostEstimate(
        level=level, total=total, breakdown=breakdown, config=config, basis=basis, samples=min(samples, default=0)
    )


def estimate_with_script(
    *,
    level: str,
    words: int,
    characters: int,
    spent: dict[str, Decimal],
    rates: dict[tuple[str, str], Decimal] | None = None,
) -> CostEstimate:
    """A video's estimate revised once its script is written (``words`` words, ``characters``
    characters to voice), at the level it now runs at.

    Per service: what it already cost (``spent``, from the ledger, including services outside the
    priced five); the voice at its exact price (TTS is priced per character); a service that
    scales with the script at the p95 of its spend per 1,000 script words (plus the margin, never
    above its call bound) once COST_ESTIMATE_MIN_SAMPLES videos taught it; anything else as in
    ``estimate_video_cost``.
    """
    rates, learned = _cached_inputs(rates)
    quote = _estimate(level=level, rates=rates, learned=learned)
    config, minimum, factor = quote.config, _min_samples(), _margin_factor()
    breakdown, basis = dict(quote.breakdown), dict(quote.basis)
    for service in PRICED_SERVICES:
        calibration = learned.get((level, service))
        if service in spent:
            breakdown[service], basis[service] = _ceil4(spent[service]), EstimateBasis.SPENT
        elif service == "tts":
            breakdown[service] = tts_call_bound(engine=config["tts"], characters=characters, rates=rates)
            basis[service] = EstimateBasis.EXACT
        elif (
            service in SCRIPT_SCALED_SERVICES
            and calibration is not None
            and calibration.per_1000_words is not None
            and calibration.word_samples >= minimum
        ):
            scaled = _ceil4(calibration.per_1000_words * Decimal(words) / 1000 * factor)
            breakdown[service] = min(scaled, render_call_bound(quality=config["rendering"], rates=rates))
            basis[service] = EstimateBasis.LEDGER_PER_WORD
    for service, amount in spent.items():  # anything else the video was charged for
        if service not in breakdown:
            breakdown[service], basis[service] = _ceil4(amount), EstimateBasis.SPENT
    total = sum(breakdown.values(), Decimal("0.0000"))
    return CostEstimate(
        level=level, total=total, breakdown=breakdown, config=config, basis=basis, samples=quote.samples
    )


# --- The bound of one call (the hold a step takes) ------------------------------------------------


def llm_call_bound(*, model: str, prompt_chars: int, max_tokens: int, rates: dict) -> Decimal:
    """Upper bound of one chat completion: every prompt token is at least one character, plus the
    chat format's overhead, plus at most ``max_tokens`` of answer."""
    tokens = Decimal(prompt_chars + CHAT_OVERHEAD_TOKENS + max_tokens)
    return _ceil4(tokens / 1000 * rates[("openai", model)])


def tts_call_bound(*, engine: str, characters: int, rates: dict) -> Decimal:
    """Exactly what synthesising ``characters`` costs (TTS is priced per character)."""
    return _ceil4(Decimal(characters) / 1000 * rates[("tts", engine)])


def render_call_bound(*, quality: str, rates: dict) -> Decimal:
    """The render cap: N8N_RENDER_MAX_MINUTES of rendering (the workflow is told the cap)."""
    minutes = Decimal(int(getattr(settings, "N8N_RENDER_MAX_MINUTES", 10)))
    return _ceil4(minutes * rates[("rendering", quality)])


def unit_call_bound(*, service: str, model: str, rates: dict) -> Decimal:
    """One thumbnail or one upload: a fixed price."""
    return _ceil4(rates[(service, model)])
