"""GET /videos answers with plain dicts (videos.serializers.video_list_items): the same bytes as
VideoListOutputSerializer, which documents the shape, rendered by DRF's own renderer."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus
from videos.serializers import VideoListOutputSerializer
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/videos"


@pytest.fixture
def channel(user):
    return ChannelFactory(user=user)


@pytest.fixture
def videos(channel):
    now = timezone.now()
    return [
        VideoFactory(channel=channel, title="queued ✓", estimated_cost=Decimal("0.5860")),
        VideoFactory(
            channel=channel,
            status=VideoStatus.PROCESSING,
            processing_started_at=now - timedelta(minutes=3),
            optimization_level="premium",
        ),
        VideoFactory(
            channel=channel,
            status=VideoStatus.PUBLISHED,
            total_cost=Decimal("0.2744"),
            youtube_url="https://youtu.be/abcdef123",
            published_at=now,
            processing_completed_at=now - timedelta(minutes=1),
        ),
        VideoFactory(channel=channel, status=VideoStatus.FAILED, error_message="render timed out after 30 min"),
        VideoFactory(
            channel=channel,
            status=VideoStatus.FAILED,
            metadata={"failure": {"code": "file_too_large"}, "pipeline": {"script": {"done": True}}},
        ),
        VideoFactory(
            channel=channel,
            status=VideoStatus.FAILED,
            error_message="/srv/secret/path exploded",
            metadata={"pipeline": {"script": {"done": True}, "voice": {"done": True}}},
        ),
        VideoFactory(channel=channel, status=VideoStatus.CANCELLED, total_cost=Decimal("0.0001")),
    ]


def test_list_bytes_are_the_serializers(auth_client, user, videos, channel):
    for query in ("", f"channel_id={channel.pk}&", f"channel_id={channel.pk}&status=failed&"):
        response = auth_client.get(f"{URL}?{query}limit=100")

        rows = list(Video.objects.filter(pk__in=[i["id"] for i in response.json()["items"]]))
        rows.sort(key=lambda v: (v.created_at, v.pk), reverse=True)
        expected = {
            "items": VideoListOutputSerializer(rows, many=True).data,
            "total": len(rows),
            "page": 1,
            "pages": 1,
            "limit": 100,
        }
        assert response.content == JSONRenderer().render(expected)
    codes = sorted(item["error_code"] for item in response.json()["items"])
    assert codes == ["file_too_large", "render_failed", "render_timeout"]


def test_channel_id_fast_path_and_the_filter_set_agree(auth_client, videos, channel, other_user):
    other = VideoFactory(channel=ChannelFactory(user=other_user))

    assert auth_client.get(f"{URL}?channel_id={channel.pk}").json()["total"] == len(videos)
    assert auth_client.get(f"{URL}?channel_id={other.channel_id}").json()["total"] == 0
    assert auth_client.get(f"{URL}?channel_id={uuid.uuid4().hex}").json()["total"] == 0
    # Whatever the fast path does not take is the filter set's: the same 400s as before.
    for bad in ("", "nope", "%00"):
        response = auth_client.get(f"{URL}?channel_id={bad}")
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "channel_id"
    assert auth_client.get(f"{URL}?channel_id=%20{channel.pk}").json()["total"] == len(videos)  # trimmed there
    assert auth_client.get(f"{URL}?chanel_id={channel.pk}").status_code == 400


def test_only_failed_rows_bring_their_metadata(videos):
    from videos.selectors import video_list_with_failure_metadata

    rows = video_list_with_failure_metadata(Video.objects.all())
    loaded = {video.status: video.failure_metadata for video in rows}
    assert loaded[VideoStatus.PROCESSING] is None
    assert isinstance(loaded[VideoStatus.FAILED], dict)
