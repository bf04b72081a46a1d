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


def bound_channel(*, account=None, **kwargs) -> Channel:
    """A channel bound to a YouTube account (a new pool account unless given), as channel_bind leaves it."""
    from youtube_pool.tests.factories import YouTubeAccountFactory

    account = account or YouTubeAccountFactory()
    return ChannelFactory(
        youtube_account=account,
        youtube_channel_id=account.channel_id,
        youtube_channel_handle=account.channel_handle,
        **kwargs,
    )
