"""What the simulated processes measure about themselves, and the clock's compression of Celery's
ETA waits. Each process appends JSON lines to ``<run>/stats/<role>-<pid>.jsonl`` (a SIGKILL loses
at most the line being written) and marks the task it is running in ``<run>/active/<pid>`` (the
coordinator kills the worker while a step runs)."""

import json
import os
import threading
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import connection


def run_dir() -> Path:
    return Path(json.loads(os.environ["YTEMPIRE_SIM"])["run_dir"])


def mark_ready(role: str) -> None:
    folder = run_dir() / "ready"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / role).write_text(str(os.getpid()))


class StatsFile:
    """One JSON-lines file per process (re-opened after a fork)."""

    def __init__(self, role: str):
        self.role = role
        self._pid = None
        self._fh = None
        self._lock = threading.Lock()

    def write(self, **row) -> None:
        with self._lock:
            if self._pid != os.getpid():
                folder = run_dir() / "stats"
                folder.mkdir(parents=True, exist_ok=True)
                self._fh = open(folder / f"{self.role}-{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115
                self._pid = os.getpid()
            self._fh.write(json.dumps(row, default=str) + "\n")


def encode_params(params):
    """SQL parameters as tagged JSON (to EXPLAIN the query again after the run), or None."""

    def one(value):
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, uuid.UUID):
            return {"$uuid": str(value)}
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, Decimal):
            return {"$dec": str(value)}
        if isinstance(value, list | tuple):
            return [one(item) for item in value]
        raise TypeError(type(value).__name__)

    try:
        return [one(value) for value in (params or ())]
    except TypeError:
        return None


class QueryCounter:
    """A database execute wrapper: queries, their time, the largest result and the slowest SQL, and
    (with ``templates``) each distinct SELECT with its count and one example of its parameters."""

    def __init__(self, templates: dict | None = None):
        self.templates = templates
        self.count = 0
        self.ms = 0.0
        self.max_rows = 0
        self.max_rows_sql = ""
        self.slowest_ms = 0.0
        self.slowest_sql = ""

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.count += 1
            self.ms += elapsed
            rows = getattr(context.get("cursor"), "rowcount", -1) or 0
            if rows > self.max_rows and sql.lstrip().upper().startswith("SELECT"):
                self.max_rows, self.max_rows_sql = rows, sql[:400]
            if elapsed > self.slowest_ms:
                self.slowest_ms, self.slowest_sql = elapsed, sql[:400]
            if self.templates is not None and not many and sql.lstrip()[:6].upper() == "SELECT":
                entry = self.templates.get(sql)
                if entry is None:
                    self.templates[sql] = [1, encode_params(params)]
                else:
                    entry[0] += 1


class TemplateCounts:
    """Per process: how often each task ran each SELECT; written as cumulative snapshots."""

    def __init__(self, stats: "StatsFile", every: int = 25):
        self.stats = stats
        self.every = every
        self.counts: dict = {}
        self.dirty: set = set()
        self.tasks = 0
        self._lock = threading.Lock()

    def merge(self, task: str, templates: dict) -> None:
        with self._lock:
            for sql, (count, params) in templates.items():
                key = (task, sql)
                entry = self.counts.setdefault(key, [0, params])
                entry[0] += count
                self.dirty.add(key)
            self.tasks += 1
            if self.tasks % self.every == 0:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        for task, sql in self.dirty:
            count, params = self.counts[(task, sql)]
            self.stats.write(event="sql", pid=os.getpid(), task=task, sql=sql, count=count, params=params)
        self.dirty = set()


# --- The worker ------------------------------------------------------------------------------------


def install_worker(follower) -> None:
    """Follow the clock in every pool process, compress ETA waits, measure every task."""
    from celery import signals
    from celery.worker import strategy
    from kombu.asynchronous.timer import to_timestamp as original_to_timestamp

    def scaled_to_timestamp(d, default_timezone=UTC, time=time.monotonic):
        """A task's ETA (simulated) -> the monotonic moment to run it, the wait compressed by the
        clock's speed (Celery would wait the simulated seconds in real seconds)."""
        if not isinstance(d, datetime):
            return original_to_timestamp(d, default_timezone, time)
        if d.tzinfo is None:
            d = d.replace(tzinfo=default_timezone)
        ahead = (d - datetime.now(UTC)).total_seconds()
        return max(time() + ahead / max(1.0, follower.state.speed), 0)

    strategy.to_timestamp = scaled_to_timestamp
    stats = StatsFile("worker")
    templates = TemplateCounts(stats)
    local = threading.local()
    active = run_dir() / "active"
    active.mkdir(parents=True, exist_ok=True)

    @signals.worker_process_init.connect(weak=False)
    def _child_follows_the_clock(**kwargs):
        follower.start_threads()

    @signals.worker_ready.connect(weak=False)
    def _ready(**kwargs):
        mark_ready("worker")

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id=None, task=None, args=None, **kwargs):
        counter = QueryCounter({})
        connection.execute_wrappers.append(counter)
        local.current = (counter, time.perf_counter(), datetime.now(UTC))
        (active / str(os.getpid())).write_text(task.name)

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id=None, task=None, args=None, state=None, **kwargs):
        current = getattr(local, "current", None)
        (active / str(os.getpid())).unlink(missing_ok=True)
        if current is None:
            return
        counter, started, sim_started = current
        local.current = None
        if counter in connection.execute_wrappers:
            connection.execute_wrappers.remove(counter)
        templates.merge(task.name.rsplit(".", 1)[-1], counter.templates)
        stats.write(
            event="task",
            task=task.name.rsplit(".", 1)[-1],
            video_id=(args or [None])[0] if task.name.startswith("videos.tasks.step_") else None,
            state=state,
            retries=task.request.retries or 0,
            real_ms=round((time.perf_counter() - started) * 1000, 2),
            sim_seconds=round((datetime.now(UTC) - sim_started).total_seconds(), 2),
            queries=counter.count,
            sql_ms=round(counter.ms, 2),
            max_rows=counter.max_rows,
            max_rows_sql=counter.max_rows_sql,
            slowest_sql_ms=round(counter.slowest_ms, 2),
            slowest_sql=counter.slowest_sql,
        )

    @signals.worker_process_shutdown.connect(weak=False)
    def _flush_templates(**kwargs):
        templates.flush()

    @signals.task_retry.connect(weak=False)
    def _retry(request=None, reason=None, **kwargs):
        stats.write(
            event="retry",
            task=(request.task or "").rsplit(".", 1)[-1],
            video_id=(request.args or [None])[0],
            retries=request.retries,
            reason=str(reason)[:200],
        )


# --- The web server --------------------------------------------------------------------------------


def timed_wsgi(application):
    """Measure every request (real milliseconds, status, queries)."""
    stats = StatsFile("web")
    templates = TemplateCounts(stats)

    def app(environ, start_response):
        started = time.perf_counter()
        counter = QueryCounter({})
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        with connection.execute_wrapper(counter):
            result = application(environ, capture)
        stats.write(
            event="request",
            path=environ.get("PATH_INFO", ""),
            status=captured.get("status", 0),
            real_ms=round((time.perf_counter() - started) * 1000, 2),
            queries=counter.count,
            max_rows=counter.max_rows,
        )
        path = environ.get("PATH_INFO", "")
        templates.merge(path.rstrip("/").rsplit("/", 1)[-1] if "/webhooks/" in path else path, counter.templates)
        return result

    app.templates = templates

    return app
