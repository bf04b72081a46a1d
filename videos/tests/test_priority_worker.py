"""Priority order through a real Celery worker on the Redis broker (not eager mode).

Messages are queued while no worker consumes; then one worker starts with concurrency 1 and
prefetch 1, so the order in which it takes them is the broker's order, recorded by the history
rows each step writes (VideoEvent ids come from one sequence).
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from channels.tests.factories import ChannelFactory, bound_channel
from videos.models import VideoEvent, VideoStatus
from videos.pipeline.queue import enqueue_step
from videos.services import video_generate
from videos.tests.factories import VideoFactory
from ytempire.celery import app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

S = VideoStatus
QUEUES = ["default", "pipeline", "render", "upload"]


def _purge_broker() -> None:
    """Empty every queue at every priority (``pipeline``, ``pipeline:1`` .. ``pipeline:9``)."""
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


@pytest.fixture
def paused_broker(settings):
    """Tasks go to Redis and wait there: no worker consumes until the test starts one."""
    settings.PIPELINE_RETRY_BASE_SECONDS = 0
    _purge_broker()
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        _purge_broker()


def _consume(queues: list[str], *, until, timeout: float = 60) -> None:
    """One worker, one task at a time, prefetching one message: it takes them in broker order."""
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        prefetch_multiplier=1,
        perform_ping_check=False,
        shutdown_timeout=20,
        queues=queues,
    ):
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the worker")
            time.sleep(0.1)


def _started_order(videos) -> list:
    """Video ids in the order their first step ran (queued -> processing, "pipeline started")."""
    rows = VideoEvent.objects.filter(video__in=videos, to_status=S.PROCESSING).order_by("id")
    return list(rows.values_list("video_id", flat=True))


def test_a_priority_10_video_starts_before_the_backlog_queued_ahead_of_it(user, paused_broker):
    user.daily_video_limit = 20
    user.save()
    channel = bound_channel(user=user, status="active", daily_video_limit=20)
    backlog = [
        video_generate(user=user, channel_id=channel.pk, title=f"Backlog {i}", priority=priority)
        for i, priority in enumerate([5, 1, 3, 5, 1, 3])
    ]
    urgent = video_generate(user=user, channel_id=channel.pk, title="Breaking news", priority=10)
    everyone = [*backlog, urgent]

    # The generation queues only: later steps wait on render/upload, untouched.
    _consume(["default", "pipeline"], until=lambda: len(_started_order(everyone)) == len(everyone))

    by_priority_then_arrival = sorted(everyone, key=lambda v: (-v.priority, everyone.index(v)))
    assert _started_order(everyone) == [v.pk for v in by_priority_then_arrival]
    assert by_priority_then_arrival[0] == urgent


def test_an_upload_is_not_starved_by_generation_at_its_priority(paused_broker):
    """Queues at the same priority are taken in turn (queue_order_strategy round_robin): an
    upload queued behind a backlog of first steps runs second, not after the whole backlog."""
    channel = ChannelFactory(status="pending_oauth")  # not connected: the upload step parks the video
    backlog = [VideoFactory(channel=channel, status=S.QUEUED) for _ in range(6)]
    ready = VideoFactory(channel=channel, status=S.READY)
    for video in backlog:
        enqueue_step(video, "start")
    enqueue_step(ready, "upload")

    def upload_ran():
        return VideoEvent.objects.filter(video=ready, reason__startswith="waiting:").exists()

    _consume(QUEUES, until=lambda: upload_ran() and len(_started_order(backlog)) == len(backlog))

    upload_event = VideoEvent.objects.get(video=ready, reason__startswith="waiting:")
    starts_before_it = VideoEvent.objects.filter(
        video__in=backlog, to_status=S.PROCESSING, id__lt=upload_event.id
    ).count()
    assert starts_before_it == 1
