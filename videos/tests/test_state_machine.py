from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from videos.models import OptimizationLevel, Video, VideoEvent, VideoStatus
from videos.services import (
    ALLOWED_TRANSITIONS,
    InvalidTransitionError,
    video_event_record,
    video_raise_priority,
    video_set_optimization_level,
    video_transition,
)
from videos.tests.factories import VideoFactory
from ytempire.core.exceptions import ConflictError
from ytempire.core.testing import race

S = VideoStatus
EXPECTED = {
    "queued": {"processing", "failed", "cancelled"},
    "processing": {"ready", "failed", "cancelled"},
    "ready": {"uploading", "failed", "cancelled"},
    "uploading": {"published", "ready", "failed", "cancelled"},
    "published": set(),
    "failed": {"queued"},
    "cancelled": {"queued"},
}
ALL_PAIRS = [(a, b) for a in S.values for b in S.values]


def test_the_transition_table_is_the_documented_one():
    assert {k: set(v) for k, v in ALLOWED_TRANSITIONS.items()} == EXPECTED
    # failed and cancelled are reachable from every non-final state
    for state in ("queued", "processing", "ready", "uploading"):
        assert {"failed", "cancelled"} <= ALLOWED_TRANSITIONS[state]


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), [p for p in ALL_PAIRS if p[1] in EXPECTED[p[0]]])
def test_every_allowed_transition_changes_status_and_records_an_event(from_status, to_status):
    video = VideoFactory(status=from_status)

    result = video_transition(video=video, to_status=to_status, reason="because", data={"k": 1})

    assert result.status == to_status
    video.refresh_from_db()
    assert video.status == to_status
    event = VideoEvent.objects.get(video=video)
    assert (event.from_status, event.to_status) == (from_status, to_status)
    assert (event.reason, event.data) == ("because", {"k": 1})


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), [p for p in ALL_PAIRS if p[1] not in EXPECTED[p[0]]])
def test_every_refused_transition_is_a_409_and_changes_nothing(from_status, to_status):
    video = VideoFactory(status=from_status)

    with pytest.raises(InvalidTransitionError) as caught:
        video_transition(video=video, to_status=to_status, reason="nope")

    assert isinstance(caught.value, ConflictError)
    assert caught.value.status_code == 409
    assert caught.value.message == f"Cannot change video status from '{from_status}' to '{to_status}'."
    video.refresh_from_db()
    assert video.status == from_status
    assert not VideoEvent.objects.filter(video=video).exists()


@pytest.mark.django_db
def test_unknown_status_is_a_validation_error():
    video = VideoFactory()

    with pytest.raises(ValidationError):
        video_transition(video=video, to_status="exploded")


@pytest.mark.django_db
def test_the_check_uses_the_locked_current_status_not_a_stale_instance():
    video = VideoFactory(status=S.QUEUED)
    stale = Video.objects.get(pk=video.pk)
    video_transition(video=video, to_status=S.CANCELLED)

    with pytest.raises(InvalidTransitionError) as caught:
        video_transition(video=stale, to_status=S.PROCESSING)

    assert caught.value.from_status == "cancelled"


@pytest.mark.django_db
def test_full_lifecycle_stamps_each_timestamp_and_counts_the_published_video():
    video = VideoFactory(status=S.QUEUED)
    channel = video.channel

    video = video_transition(video=video, to_status=S.PROCESSING)
    assert video.processing_started_at is not None
    assert video.processing_completed_at is None
    video = video_transition(video=video, to_status=S.READY)
    assert video.processing_completed_at >= video.processing_started_at
    assert video.generation_time_seconds is not None
    video = video_transition(video=video, to_status=S.UPLOADING)
    video = video_transition(
        video=video,
        to_status=S.PUBLISHED,
        fields={"youtube_video_id": "abc123", "youtube_url": "https://youtu.be/abc123"},
    )

    video.refresh_from_db()
    assert video.published_at is not None
    assert video.youtube_video_id == "abc123"
    channel.refresh_from_db()
    assert channel.total_videos == 1
    history = list(video.events.values_list("from_status", "to_status"))
    assert history == [
        ("queued", "processing"),
        ("processing", "ready"),
        ("ready", "uploading"),
        ("uploading", "published"),
    ]


@pytest.mark.django_db
def test_failure_stores_the_error_and_retry_starts_a_fresh_attempt():
    video = VideoFactory(status=S.PROCESSING, processing_started_at=timezone.now() - timedelta(minutes=3))
    old_queued_at = video.queued_at

    video = video_transition(video=video, to_status=S.FAILED, reason="script failed", error_message="OpenAI 500")
    assert video.error_message == "OpenAI 500"

    video = video_transition(video=video, to_status=S.QUEUED, reason="retry")
    assert video.error_message == ""
    assert video.processing_started_at is None
    assert video.queued_at > old_queued_at


@pytest.mark.django_db
def test_failure_without_error_message_keeps_the_reason():
    video = VideoFactory(status=S.QUEUED)

    video = video_transition(video=video, to_status=S.FAILED, reason="budget exhausted")

    assert video.error_message == "budget exhausted"


@pytest.mark.django_db
def test_fields_may_not_set_machine_owned_columns():
    video = VideoFactory(status=S.QUEUED)

    with pytest.raises(ValueError, match="status"):
        video_transition(video=video, to_status=S.PROCESSING, fields={"status": "published"})


@pytest.mark.django_db
def test_event_record_and_optimization_level_and_priority_are_history_rows():
    video = VideoFactory(status=S.PROCESSING, priority=9)

    event = video_event_record(video=video, reason="script generated", data={"tokens": 1200})
    video = video_set_optimization_level(video=video, level=OptimizationLevel.ECONOMY, reason="economy switch")
    video_set_optimization_level(video=video, level=OptimizationLevel.ECONOMY, reason="no-op")
    video = video_raise_priority(video=video)
    video = video_raise_priority(video=video)  # capped at 10: no event

    assert (event.from_status, event.to_status) == ("", "")
    video.refresh_from_db()
    assert video.status == S.PROCESSING
    assert video.optimization_level == "economy"
    assert video.priority == 10
    assert list(video.events.values_list("reason", flat=True)) == [
        "script generated",
        "economy switch",
        "priority raised",
    ]
    with pytest.raises(ValidationError):
        video_set_optimization_level(video=video, level="ultra", reason="x")


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_transition_exactly_one_wins():
    video = VideoFactory(status=S.QUEUED)

    def work():
        try:
            video_transition(video=Video(pk=video.pk), to_status=S.PROCESSING, reason="worker")
            return "moved"
        except InvalidTransitionError:
            return "refused"

    results = race(work, 4)

    assert sorted(results) == ["moved", "refused", "refused", "refused"]
    assert VideoEvent.objects.filter(video_id=video.pk, to_status=S.PROCESSING).count() == 1
