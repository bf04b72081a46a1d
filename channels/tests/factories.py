import factory

from accounts.tests.factories import UserFactory
from channels.models import Channel, ChannelStatus


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Channel {n}")
    niche = "Technology"
    status = ChannelStatus.ACTIVE
    automation_enabled = True
    daily_video_limit = 5
