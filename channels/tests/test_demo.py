import pytest

from accounts.tests.factories import UserFactory
from channels.demo import create_demo_data as channels_demo
from channels.models import Channel
from videos.demo import create_demo_data as videos_demo
from videos.models import Video, VideoEvent


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_covers_several_states():
    staff, customer = UserFactory(is_staff=True), UserFactory(tier="growth", daily_video_limit=100)

    first = channels_demo(staff=staff, customer=customer), videos_demo(staff=staff, customer=customer)
    again = channels_demo(staff=staff, customer=customer), videos_demo(staff=staff, customer=customer)

    assert Channel.objects.filter(user=customer).count() == 4
    videos = Video.objects.filter(channel__user=customer)
    assert videos.count() == 12
    # One video per channel is really generated (queued; its task is sent when the transaction commits).
    statuses = set(videos.values_list("status", flat=True))
    assert statuses == {"published", "ready", "processing", "failed", "cancelled", "queued"}
    assert VideoEvent.objects.filter(video__in=videos, from_status="", to_status="queued").count() == 12
    assert "(4 new)" in first[0] and "(0 new)" in again[0]
    assert "(0 new)" in again[1]
