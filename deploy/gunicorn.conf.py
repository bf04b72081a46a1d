"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py ytempire.wsgi:application`.

Prometheus multiprocess mode (README "Metrics"): with PROMETHEUS_MULTIPROC_DIR in the environment, every
worker files its counters and histograms in that directory and /api/v1/metrics sums them. The master
empties the directory when it starts (a restart starts from zero, and a stale file cannot be taken over
by a new worker with a recycled pid) and marks each worker that exits as dead (its live gauges go; its
counters and histograms stay in the sums, as counters must). The app is not preloaded: the master never
records a metric itself.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside the container; compose publishes it
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_tmp_dir = "/dev/shm"  # noqa: S108 - the heartbeat file on a memory fs, as gunicorn advises in containers
# No gunicorn access log: the app writes one JSON line per request (ytempire.request: method, path,
# status, duration, request and user ids), and a second, unstructured line per request cost the
# workers about 0.08 ms of CPU each (`make bench`: B with metrics and logging / B bare 0.76 -> 0.87).
# Requests gunicorn refuses before Django (bad HTTP, worker timeouts) still reach its error log.
accesslog = None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
preload_app = False


def _multiproc_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server) -> None:
    path = _multiproc_dir()
    if not path:
        return
    Path(path).mkdir(parents=True, exist_ok=True)
    stale = list(Path(path).glob("*.db"))
    for file in stale:
        file.unlink(missing_ok=True)
    server.log.info("prometheus multiprocess dir %s emptied (%d stale files)", path, len(stale))


def child_exit(server, worker) -> None:
    if _multiproc_dir():
        multiprocess.mark_process_dead(worker.pid)
