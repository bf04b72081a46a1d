"""The numbers after work done in a SEPARATE process: a real Celery worker (prefork pool, its own
PROMETHEUS_MULTIPROC_DIR and metrics port, Redis broker, this test's PostgreSQL database) takes a sandbox
video from queued to published. The web scrape, from this process, must equal the database; the worker's
own endpoint must carry the events its pool processes recorded."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from channels.tests.factories import bound_channel
from costs.models import Reservation, ReservationStatus, VideoCost
from costs.services import budget_date_for
from videos.models import ACTIVE_STATUSES, Video, VideoStatus
from videos.services import video_generate
from youtube_pool.models import GoogleProject, YouTubeAccount
from ytempire.celery import app
from ytempire.ops.tests.test_metrics_collector import EMAIL, scrape, value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(django_settings.BASE_DIR)
QUEUES = ["default", "pipeline", "render", "upload"]
STEPS = ("start", "script", "voice", "render", "upload")

# `celery worker` as deployed, except that tasks it sends go to the broker: the test settings make the
# test process eager, and a worker must never run the next step inline.
WORKER = """
import sys
import django

django.setup()
from ytempire.celery import app

app.conf.task_always_eager = False
app.worker_main(["worker", "--pool=prefork", "--concurrency=2", "--loglevel=WARNING", "-Q", sys.argv[1],
                 "-n", sys.argv[2], "--without-gossip", "--without-mingle", "--without-heartbeat"])
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our worker on 127.0.0.1
        return response.read().decode()


def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _purge_queues() -> None:
    """Every broker key of this run's prefix: the queues at each priority step and the unacked ones."""
    with app.connection_for_write() as conn:
        prefix = conn.transport_options.get("global_keyprefix", "")
        assert prefix.startswith("test:"), prefix
        redis = conn.default_channel.client
        keys = list(redis.scan_iter(match=prefix + "*"))
        if keys:
            redis.delete(*keys)


@pytest.fixture
def worker_process(tmp_path, settings):
    """The worker subprocess; yields its metrics URL. Stopped (warm shutdown) at the end."""
    multiproc, port = tmp_path / "worker-prometheus", _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ytempire.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "CACHE_KEY_PREFIX": django_settings.CACHE_KEY_PREFIX,
        "STORAGE_BASE_PATH": str(settings.STORAGE_BASE_PATH),
        "PROVIDERS_MODE": "sandbox",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "WORKER_METRICS_PORT": str(port),
        "WORKER_METRICS_ADDR": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "worker.log").open("w")
    _purge_queues()
    name = f"metrics-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and app
        [sys.executable, "-c", WORKER, ",".join(QUEUES), name],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"

    def answering():
        assert process.poll() is None, (tmp_path / "worker.log").read_text()[-4000:]
        try:
            return _get(url)
        except OSError:
            return None

    try:
        _wait_for(answering, timeout=60, what="the worker's metrics endpoint")
        yield {"url": url, "process": process, "dir": multiproc, "log": tmp_path / "worker.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
        _purge_queues()


@pytest.fixture
def sandbox_channel(user):
    project = GoogleProject.objects.create(name="sandbox-worker", client_id="sandbox-worker.apps", is_sandbox=True)
    account = YouTubeAccount.objects.create(
        project=project, email="worker-owner@example.com", channel_id="UCWORKER", is_sandbox=True, daily_upload_cap=5
    )
    return bound_channel(user=user, account=account, status="active", niche="Geology", daily_video_limit=10)


def _samples(text: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_scrape_equals_the_database_after_a_real_worker_process_did_the_work(
    client, staff_user, user, sandbox_channel, worker_process
):
    before = _samples(_get(worker_process["url"]))
    assert ("cost_per_video_dollars_count", ()) in before and before[("cost_per_video_dollars_count", ())] == 0

    app.conf.task_always_eager = False  # this process only enqueues; the worker runs every step
    try:
        videos = [
            video_generate(user=user, channel_id=sandbox_channel.pk, title=title)
            for title in ("Basalt columns", "Karst caves")
        ]
    finally:
        app.conf.task_always_eager = True

    def all_published():
        statuses = set(Video.objects.filter(pk__in=[v.pk for v in videos]).values_list("status", flat=True))
        assert not statuses & {VideoStatus.FAILED, VideoStatus.CANCELLED}, worker_process["log"].read_text()[-4000:]
        return statuses == {VideoStatus.PUBLISHED}

    _wait_for(all_published, timeout=120, what="both videos published by the worker")

    # The web target, scraped from THIS process, which recorded none of it: the database's numbers.
    client.force_login(staff_user)
    text, samples = scrape(client)
    today = budget_date_for(timezone.now())
    spent = VideoCost.objects.filter(budget_date=today).aggregate(s=Sum("amount"))["s"]
    month = VideoCost.objects.filter(budget_date__gte=today.replace(day=1)).aggregate(s=Sum("amount"))["s"]
    held = Reservation.objects.filter(
        budget_date=today, status=ReservationStatus.OPEN, expires_at__gt=timezone.now()
    ).aggregate(s=Sum("amount"))["s"]
    assert spent > 0
    assert value(samples, "cost_daily_spend_dollars") == pytest.approx(float(spent))
    assert value(samples, "cost_monthly_spend_dollars") == pytest.approx(float(month))
    assert value(samples, "cost_daily_held_dollars") == pytest.approx(float(held or 0))
    for status in VideoStatus.values:
        assert value(samples, "videos_by_status", status=status) == Video.objects.filter(status=status).count()
    assert value(samples, "videos_by_status", status="published") == 2
    assert value(samples, "active_videos_processing") == Video.objects.filter(status__in=ACTIVE_STATUSES).count() == 0
    account = YouTubeAccount.objects.select_related("project").get()
    labels = {"account": str(account.pk), "project": "sandbox-worker"}
    assert value(samples, "youtube_account_uploads_today", **labels) == account.uploads_today == 2
    assert value(samples, "youtube_quota_usage", project="sandbox-worker", bucket="uploads") == (
        account.project.uploads_used
    )
    assert value(samples, "youtube_account_state", **labels, state="ok") == 1
    assert value(samples, "youtube_uploads_left_today") == 3  # cap 5, 2 used
    assert not EMAIL.search(text)

    # The worker's own target: its pool processes' events, summed; no business gauges there.
    worker_text = _get(worker_process["url"])
    events = _samples(worker_text)
    totals = Video.objects.filter(pk__in=[v.pk for v in videos]).aggregate(s=Sum("total_cost"))["s"]
    assert events[("cost_per_video_dollars_count", ())] == 2
    assert events[("cost_per_video_dollars_sum", ())] == pytest.approx(float(totals))
    # Each video passed each step in the pool's processes (a step may run again as an idempotent no-op
    # when it was enqueued twice; every run is timed).
    for step in STEPS:
        assert events[("pipeline_step_duration_seconds_count", (("outcome", "done"), ("step", step)))] >= 2
    assert not [key for key in events if key[0].startswith("pipeline_step") and ("outcome", "failed") in key[1]]
    assert "cost_daily_spend_dollars" not in worker_text and "youtube_account_state" not in worker_text
    assert not EMAIL.search(worker_text)
    pids = {int(p.stem.rsplit("_", 1)[1]) for p in worker_process["dir"].glob("histogram_*.db")}
    assert pids - {worker_process["process"].pid}  # filed by the pool's processes, served by the main one
