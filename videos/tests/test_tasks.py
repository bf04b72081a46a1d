import uuid

import pytest

from videos.models import VideoStatus
from videos.tasks import video_process_task
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_starts_the_pipeline_for_a_queued_video():
    video = VideoFactory(status=VideoStatus.QUEUED)

    result = video_process_task.delay(str(video.pk)).get()

    assert result == "script"
    video.refresh_from_db()
    # Sandbox providers ran every step; with no YouTube account the video waits in ready.
    assert video.status == VideoStatus.READY
    assert video.processing_started_at is not None
    assert video.events.filter(from_status="queued", to_status="processing").get().reason == "pipeline started"
    assert video.metadata["pipeline"]["wait"]["reason"] == "pool"


def test_task_is_idempotent_on_redelivery():
    video = VideoFactory(status=VideoStatus.QUEUED)
    video_process_task.delay(str(video.pk))
    events = video.events.count()

    video_process_task.delay(str(video.pk))

    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert video.events.filter(to_status="processing").count() == 1
    assert video.events.count() == events  # the wait is recorded once, not per poll


@pytest.mark.parametrize("status", [VideoStatus.CANCELLED, VideoStatus.FAILED, VideoStatus.PUBLISHED])
def test_task_leaves_a_video_that_is_not_queued_alone(status):
    video = VideoFactory(status=status)

    assert video_process_task.delay(str(video.pk)).get() is None

    video.refresh_from_db()
    assert video.status == status
    assert not video.events.exists()


def test_task_for_a_deleted_video_does_nothing():
    assert video_process_task.delay(str(uuid.uuid4())).get() is None
