import uuid

import pytest

from videos.models import VideoStatus
from videos.tasks import video_process_task
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def test_task_moves_a_queued_video_to_processing():
    video = VideoFactory(status=VideoStatus.QUEUED)

    result = video_process_task.delay(str(video.pk)).get()

    assert result == "processing"
    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert video.processing_started_at is not None
    assert video.events.get().reason == "picked up by worker"


def test_task_is_idempotent_on_redelivery():
    video = VideoFactory(status=VideoStatus.QUEUED)
    video_process_task.delay(str(video.pk))

    assert video_process_task.delay(str(video.pk)).get() is None

    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert video.events.count() == 1


@pytest.mark.parametrize("status", [VideoStatus.CANCELLED, VideoStatus.FAILED, VideoStatus.PUBLISHED])
def test_task_leaves_a_video_that_is_not_queued_alone(status):
    video = VideoFactory(status=status)

    assert video_process_task.delay(str(video.pk)).get() is None

    video.refresh_from_db()
    assert video.status == status


def test_task_for_a_deleted_video_does_nothing():
    assert video_process_task.delay(str(uuid.uuid4())).get() is None
