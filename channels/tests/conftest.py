import pytest

from channels.signals import channel_stopped


@pytest.fixture
def channel_factory(db):
    from channels.tests.factories import ChannelFactory

    return ChannelFactory


@pytest.fixture
def stopped_events():
    """Every channel_stopped sent during the test, as (channel_id, reason), via a test-local receiver."""
    events = []

    def record(sender, *, channel_id, reason, **kwargs):
        events.append((channel_id, reason))

    channel_stopped.connect(record, weak=False, dispatch_uid="test-channel-stopped")
    yield events
    channel_stopped.disconnect(dispatch_uid="test-channel-stopped")


@pytest.fixture
def no_youtube_provider():
    """No ``youtube`` provider registered (as if the videos app had not registered one) for the test."""
    from channels.ports import register_youtube_summary

    previous = register_youtube_summary(None)
    yield
    register_youtube_summary(previous)


@pytest.fixture
def youtube_provider():
    """A test-local provider of ``youtube`` objects: records each call (the channel ids it was given)
    and answers ``answers[channel.pk]`` (or a default "ok" summary built from the channel)."""
    from types import SimpleNamespace

    from channels.ports import register_youtube_summary

    state = SimpleNamespace(calls=[], answers={})

    def provide(channels):
        state.calls.append([channel.pk for channel in channels])
        return {
            channel.pk: state.answers.get(
                channel.pk,
                {
                    "connected": True,
                    "channel_id": channel.youtube_channel_id,
                    "handle": channel.youtube_channel_handle,
                    "account_state": "ok",
                    "uploads_today": 1,
                    "upload_cap": 5,
                },
            )
            for channel in channels
        }

    previous = register_youtube_summary(provide)
    yield state
    register_youtube_summary(previous)
