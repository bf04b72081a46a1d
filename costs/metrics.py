"""Event metrics of the costs app: what a process saw happen (observations and counts).

Each process records its own events; with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn and the Celery
worker in production) every process writes them to that directory and the scrape sums them, so no
event is lost to "whichever process recorded it". Levels (spend today and this month, held) are not
events: ``ytempire.ops.metrics`` reads them from Redis/PostgreSQL at scrape time, so every process
reports the same truth.
"""

from decimal import Decimal

from prometheus_client import Counter, Histogram


def exported(dollars: Decimal) -> float:
    """Prometheus samples are floats; money stays Decimal everywhere else (this is for display)."""
    return float(dollars)


COST_PER_VIDEO = Histogram(
    "cost_per_video_dollars",
    "Cost per video in dollars, observed when a video reaches a final status",
    buckets=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0],
)
RESERVATIONS_REFUSED = Counter("cost_reservations_refused_total", "Cost reservations refused, by limit", ["reason"])
REDIS_FALLBACKS = Counter(
    "cost_counters_fallback_total", "Cost operations that fell back to the database because Redis was unreachable"
)
