import pytest


@pytest.fixture
def channel_factory(db):
    from channels.tests.factories import ChannelFactory

    return ChannelFactory
