"""Prometheus metrics of the costs app (exported by /api/v1/metrics through the default registry)."""

from decimal import Decimal

from prometheus_client import Counter, Gauge, Histogram


def exported(dollars: Decimal) -> float:
    """Prometheus samples are floats; money stays Decimal everywhere else (this is for display)."""
    return float(dollars)


COST_PER_VIDEO = Histogram(
    "cost_per_video_dollars",
    "Cost per video in dollars, observed when a video reaches a final status",
    buckets=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0],
)
DAILY_SPEND = Gauge("cost_daily_spend_dollars", "Recorded spend of the current budget day in dollars")
RESERVATIONS_REFUSED = Counter("cost_reservations_refused_total", "Cost reservations refused, by limit", ["reason"])
REDIS_FALLBACKS = Counter(
    "cost_counters_fallback_total", "Cost operations that fell back to the database because Redis was unreachable"
)
