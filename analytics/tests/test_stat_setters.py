"""The small services channels and videos provide for YouTube's figures (written by the sync only)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels.models import Channel
from channels.services import channel_revenue_set, channel_stats_set
from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus
from videos.services.state import VideoStats, video_revenue_record, video_stats_record

from .conftest import make_video

pytestmark = pytest.mark.django_db


def test_channel_totals_and_revenue():
    channel = ChannelFactory(name="Before")
    Channel.objects.filter(pk=channel.pk).update(name="Renamed meanwhile")

    assert channel_stats_set(channel_id=channel.pk, total_views=10, total_subscribers=3)
    channel_stats_set(channel_id=channel.pk, total_views=12)  # hidden subscribers: kept
    channel.refresh_from_db()
    assert (channel.total_views, channel.total_subscribers, channel.name) == (12, 3, "Renamed meanwhile")
    assert channel.total_revenue_cents is None  # a new channel has not authorised revenue reads

    channel_revenue_set(channel_id=channel.pk, total_revenue_cents=0)
    channel.refresh_from_db()
    assert channel.total_revenue_cents == 0
    channel_revenue_set(channel_id=channel.pk, total_revenue_cents=None)
    channel.refresh_from_db()
    assert channel.total_revenue_cents is None


@pytest.mark.parametrize("value", [-1, 2**63, 1.5, True, "7"])
def test_channel_totals_refuse_impossible_counts(value):
    channel = ChannelFactory()
    with pytest.raises(ValidationError):
        channel_stats_set(channel_id=channel.pk, total_views=value)
    with pytest.raises(ValidationError):
        channel_revenue_set(channel_id=channel.pk, total_revenue_cents=value)


def test_a_missing_channel_is_reported_not_raised():
    assert channel_stats_set(channel_id="00000000-0000-0000-0000-000000000000", total_views=1) is False


def test_video_stats_touch_only_their_columns():
    channel = ChannelFactory()
    video = make_video(channel, status=VideoStatus.UPLOADING)
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PUBLISHED)  # a concurrent change
    now = timezone.now()

    written = video_stats_record(stats=[VideoStats(video_id=video.pk, views=9, likes=None, comments=2)], at=now)

    video.refresh_from_db()
    assert written == 1 and video.status == VideoStatus.PUBLISHED
    assert (video.view_count, video.like_count, video.comment_count, video.stats_updated_at) == (9, None, 2, now)
    assert video_stats_record(stats=[], at=now) == 0
    with pytest.raises(ValidationError):
        video_stats_record(stats=[VideoStats(video_id=video.pk, views=-1)], at=now)


def test_video_revenue_null_listed_and_complete():
    channel = ChannelFactory()
    listed, other = make_video(channel), make_video(channel)
    unpublished = make_video(channel, status=VideoStatus.QUEUED)

    video_revenue_record(channel_id=channel.pk, revenue={listed.pk: Decimal("2.5")}, complete=False)
    assert list(
        Video.objects.filter(pk__in=[listed.pk, other.pk])
        .order_by("estimated_revenue")
        .values_list("estimated_revenue", flat=True)
    ) == [Decimal("2.5000"), None]

    video_revenue_record(channel_id=channel.pk, revenue={listed.pk: Decimal("3")}, complete=True)
    other.refresh_from_db()
    unpublished.refresh_from_db()
    assert other.estimated_revenue == Decimal("0.0000") and unpublished.estimated_revenue is None

    video_revenue_record(channel_id=channel.pk, revenue=None)
    assert set(Video.objects.filter(channel=channel).values_list("estimated_revenue", flat=True)) == {None}
