import factory

from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus


class VideoFactory(factory.django.DjangoModelFactory):
    """Test data only: builds a video directly in a given status (the app changes it via services)."""

    class Meta:
        model = Video

    channel = factory.SubFactory(ChannelFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    status = VideoStatus.QUEUED
    priority = 5
