import pytest

from accounts.tests.factories import UserFactory
from channels.demo import create_demo_data as channels_demo
from channels.models import Channel
from videos.demo import create_demo_data as videos_demo
from videos.models import Video, VideoEvent
from youtube_pool.demo import create_demo_data as pool_demo


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_covers_several_states():
    staff, customer = UserFactory(is_staff=True), UserFactory(tier="growth", daily_video_limit=100)

    def demo():
        # In bootstrap_demo's order (INSTALLED_APPS): channels, the sandbox pool, then videos.
        made = channels_demo(staff=staff, customer=customer)
        pool_demo(staff=staff, customer=customer)
        return made, videos_demo(staff=staff, customer=customer)

    first, again = demo(), demo()

    assert Channel.objects.filter(user=customer).count() == 4
    # Each active demo channel is connected to its own sandbox YouTube account; one stays unconnected.
    active = Channel.objects.filter(user=customer, status="active")
    assert active.count() == 2 and all(c.youtube_account_id for c in active)
    assert len({c.youtube_account_id for c in active}) == 2
    assert Channel.objects.get(user=customer, name="Money Minutes").youtube_account_id is None
    videos = Video.objects.filter(channel__user=customer)
    assert videos.count() == 22  # per connected channel: six of today's and five published on earlier days
    # One video per channel is really generated (queued; its task is sent when the transaction commits).
    statuses = set(videos.values_list("status", flat=True))
    assert statuses == {"published", "ready", "processing", "failed", "cancelled", "queued"}
    assert VideoEvent.objects.filter(video__in=videos, from_status="", to_status="queued").count() == 22
    assert "(4 new)" in first[0] and "(0 new)" in again[0]
    assert "(0 new)" in again[1]
