"""Prometheus: business gauges read at scrape time, the exposition, and the Celery worker's endpoint.

Two kinds of numbers, two mechanisms:

- **Levels** of the business (spend today and this month, held, videos by status, quota per project
  and bucket, account health and state, uploads left today) are read from PostgreSQL and Redis by
  ``BusinessCollector`` at each scrape, so whichever process answers reports the same truth. At most
  six queries and two Redis reads a scrape, none per row; nothing is cached.
- **Events** (cost per video, pipeline step durations, reservations refused, webhook deliveries,
  the HTTP requests of ytempire.core.middleware, django-prometheus' queries) are recorded by the
  process where they happen. With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client writes each
  process's values to files there and a scrape sums them (multiprocess mode); unset (``make run``),
  the process's own registry is exported as before.

Targets (README "Metrics"):

- web, ``/api/v1/metrics``: the business gauges and the events of every gunicorn worker (they share
  one directory; deploy/gunicorn.conf.py empties it at start and marks dead workers).
- Celery worker, ``:WORKER_METRICS_PORT/metrics``: the events of the worker's pool processes (they
  share the worker's own directory, which its main process serves). No business gauges there: they
  come from the web target only, so they are never counted twice. The worker does not share the web's
  directory: in separate containers the process ids collide, and values are filed by process id.
"""

import logging
import os
import re
from functools import cache
from pathlib import Path

from celery.signals import worker_init, worker_process_shutdown
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from costs.selectors import cost_budget_status
from videos.models import ACTIVE_STATUSES, Video, VideoStatus
from videos.publishing.capacity import publishing_capacity
from youtube_pool.conf import BUCKETS
from youtube_pool.signals import ACCOUNT_STATES
from ytempire.core.logging import redact_emails

logger = logging.getLogger(__name__)

ACCOUNT_LABELS = ("account", "project")
# name -> (help, labels): the business gauges, declared once (describe() and collect() agree).
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cost_daily_spend_dollars": ("Recorded spend of the current budget day in dollars", ()),
    "cost_daily_held_dollars": ("Open cost holds (reserved, not yet recorded) of the current budget day", ()),
    "cost_monthly_spend_dollars": ("Recorded spend of the current budget month in dollars", ()),
    "cost_monthly_held_dollars": ("Open cost holds of the current budget month in dollars", ()),
    "cost_daily_budget_dollars": ("DAILY_COST_BUDGET in dollars", ()),
    "cost_monthly_budget_dollars": ("MONTHLY_COST_BUDGET in dollars", ()),
    "cost_budget_paused": ("1 while spend plus holds has reached the daily or monthly budget", ()),
    "videos_by_status": ("Videos currently in each status", ("status",)),
    "active_videos_processing": ("Videos the pipeline is working on (queued, processing, ready, uploading)", ()),
    "youtube_quota_usage": (
        "Quota used today per Google project and bucket (uploads, searches, units)",
        ("project", "bucket"),
    ),
    "youtube_quota_limit": ("Daily quota per Google project and bucket", ("project", "bucket")),
    "youtube_project_uploads_left_today": ("Uploads the Google project can still pay for today", ("project",)),
    "youtube_uploads_left_today": ("Uploads still possible today through bound channels (the capacity page's)", ()),
    "youtube_account_health_score": (
        "Health score (0-100) per YouTube account (labelled by id, never email)",
        ACCOUNT_LABELS,
    ),
    "youtube_account_state": ("1 for the account's current state, 0 for the others", (*ACCOUNT_LABELS, "state")),
    "youtube_account_uploads_today": ("Uploads made today per YouTube account", ACCOUNT_LABELS),
    "youtube_account_uploads_left_today": ("Uploads the account can still make today (0 unless ok)", ACCOUNT_LABELS),
}
UP = "ytempire_business_metrics_up"
UP_HELP = "1 when the section's store was read at this scrape; 0: its gauges are absent (not zero)"
SECTIONS = ("costs", "videos", "youtube")
_DB_FILE = re.compile(r"^[a-z]+(?:_[a-z]+)?_(\d+)\.db$")


def _family(name: str) -> GaugeMetricFamily:
    doc, labels = GAUGES[name]
    return GaugeMetricFamily(name, doc, labels=list(labels)) if labels else GaugeMetricFamily(name, doc)


def _single(name: str, value) -> GaugeMetricFamily:
    family = _family(name)
    family.add_metric([], float(value))
    return family


def label(value) -> str:
    """A label value from data staff typed (a project's name): never an email address."""
    return redact_emails(str(value if value is not None else ""))


class BusinessCollector(Collector):
    """The business gauges (see GAUGES), read at scrape time. A section whose store cannot be read is
    left out and reported by ``ytempire_business_metrics_up{section}`` 0: absent, never a false 0."""

    def __init__(self) -> None:
        # The web target serves these; a worker serving its own registry in one process turns them off.
        self.enabled = True

    def describe(self):
        """The names, without reading anything (registration must not touch the database)."""
        return [_family(name) for name in GAUGES] + [GaugeMetricFamily(UP, UP_HELP, labels=["section"])]

    def collect(self):
        if not self.enabled:
            return
        now = timezone.now()
        up = GaugeMetricFamily(UP, UP_HELP, labels=["section"])
        for section, read in (("costs", self._costs), ("videos", self._videos), ("youtube", self._youtube)):
            try:
                families = list(read(now))
            except Exception as exc:  # a store is down: report that, keep the other sections
                logger.warning("business metrics section unreadable", extra={"section": section, "error": str(exc)})
                up.add_metric([section], 0)
                continue
            up.add_metric([section], 1)
            yield from families
        yield up

    @staticmethod
    def _costs(now):
        """cost_budget_status: two Redis reads, or one query when the counters are not ready."""
        status = cost_budget_status(at=now)
        yield _single("cost_daily_spend_dollars", status.day_recorded)
        yield _single("cost_daily_held_dollars", status.day_reserved)
        yield _single("cost_monthly_spend_dollars", status.month_recorded)
        yield _single("cost_monthly_held_dollars", status.month_reserved)
        yield _single("cost_daily_budget_dollars", status.daily_budget)
        yield _single("cost_monthly_budget_dollars", status.monthly_budget)
        yield _single("cost_budget_paused", 1 if status.paused else 0)

    @staticmethod
    def _videos(now):
        """One grouped count over the status index."""
        counts = dict.fromkeys(VideoStatus.values, 0)
        counts.update(Video.objects.order_by().values_list("status").annotate(n=Count("pk")))
        by_status = _family("videos_by_status")
        for status, n in counts.items():
            by_status.add_metric([status], n)
        yield by_status
        yield _single("active_videos_processing", sum(counts[status] for status in ACTIVE_STATUSES))

    @staticmethod
    def _youtube(now):
        """publishing_capacity: four queries whatever the number of projects and accounts."""
        capacity = publishing_capacity(now=now)
        usage, limit, project_left = (
            _family("youtube_quota_usage"),
            _family("youtube_quota_limit"),
            _family("youtube_project_uploads_left_today"),
        )
        names = {}
        for project in capacity["projects"]:
            name = names[project["id"]] = label(project["name"])
            for bucket in BUCKETS:
                usage.add_metric([name, bucket], project["buckets"][bucket]["used"])
                limit.add_metric([name, bucket], project["buckets"][bucket]["limit"])
            project_left.add_metric([name], project["uploads_left"])
        health, state, today, left = (
            _family("youtube_account_health_score"),
            _family("youtube_account_state"),
            _family("youtube_account_uploads_today"),
            _family("youtube_account_uploads_left_today"),
        )
        for account in capacity["accounts"]:
            labels = [str(account["id"]), names.get(account["project_id"], label(account["project_name"]))]
            health.add_metric(labels, float(account["health_score"]))
            for name in ACCOUNT_STATES:
                state.add_metric([*labels, name], 1 if account["state"] == name else 0)
            today.add_metric(labels, account["uploads_today"])
            left.add_metric(labels, account["uploads_left"])
        yield from (usage, limit, project_left)
        yield _single("youtube_uploads_left_today", capacity["uploads_possible_today"])
        yield from (health, state, today, left)


BUSINESS = BusinessCollector()


# --- the exposition -------------------------------------------------------------------------------
@cache
def multiprocess_registry(path: str, *, business: bool = True) -> CollectorRegistry:
    """The events every process wrote to ``path`` (summed), plus the business gauges if asked."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    if business:
        registry.register(BUSINESS)
    return registry


def exposition() -> tuple[bytes, str]:
    """What /api/v1/metrics answers: the business gauges and this deployment's web events (all
    gunicorn workers in multiprocess mode; this process alone otherwise)."""
    path = settings.PROMETHEUS_MULTIPROC_DIR
    registry = multiprocess_registry(str(path)) if path else REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def clear_multiprocess_dir(path: str, *, keep_pid: int | None = None) -> int:
    """Delete the value files left in ``path`` by earlier processes (a restart starts from zero);
    ``keep_pid``'s own files stay (it may already have opened them). Returns how many went."""
    removed = 0
    for file in Path(path).glob("*.db"):
        match = _DB_FILE.match(file.name)
        if keep_pid is not None and match and int(match.group(1)) == keep_pid:
            continue
        file.unlink(missing_ok=True)
        removed += 1
    return removed


# --- the Celery worker's own endpoint -------------------------------------------------------------
def worker_metrics_start(*, port: int, addr: str) -> None:
    """Serve the worker's event metrics on ``addr:port``/metrics from the worker's main process.

    Multiprocess mode: the pool processes' files in PROMETHEUS_MULTIPROC_DIR, summed (stale files of
    an earlier run are removed first, before the pool forks). One process (``--pool=threads`` or
    ``solo`` without the directory): this process's registry, without the business gauges."""
    path = settings.PROMETHEUS_MULTIPROC_DIR
    if path:
        clear_multiprocess_dir(str(path), keep_pid=os.getpid())
        registry = multiprocess_registry(str(path), business=False)
    else:
        BUSINESS.enabled = False
        registry = REGISTRY
    start_http_server(port, addr=addr, registry=registry)
    logger.info("worker metrics served", extra={"port": port, "multiprocess": bool(path)})


def _on_worker_init(sender=None, **kwargs) -> None:
    port = int(settings.WORKER_METRICS_PORT or 0)
    if port:
        worker_metrics_start(port=port, addr=settings.WORKER_METRICS_ADDR)


def _on_worker_process_shutdown(sender=None, pid=None, **kwargs) -> None:
    """A pool process exits: its live gauges go (its counters and histograms are kept, as they must)."""
    path = settings.PROMETHEUS_MULTIPROC_DIR
    if path and pid:
        mark_process_dead(pid, str(path))


_installed: list[bool] = []


def install() -> None:
    """Once per process (OpsConfig.ready): register the business collector with the default registry
    and connect the worker's hooks. Warns when PROMETHEUS_MULTIPROC_DIR came too late for this
    process (prometheus_client reads it when first imported): its events would stay local."""
    if _installed:
        return
    _installed.append(True)
    REGISTRY.register(BUSINESS)
    worker_init.connect(_on_worker_init, dispatch_uid="ytempire.ops.metrics.worker_init", weak=False)
    worker_process_shutdown.connect(
        _on_worker_process_shutdown, dispatch_uid="ytempire.ops.metrics.worker_process_shutdown", weak=False
    )
    if settings.PROMETHEUS_MULTIPROC_DIR and not getattr(prometheus_values.ValueClass, "_multiprocess", False):
        logger.warning(
            "PROMETHEUS_MULTIPROC_DIR is set but prometheus_client was imported without it: set it in the "
            "process environment (not only .env) so this process's events reach the shared directory"
        )
