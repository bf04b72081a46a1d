"""Reactions of the videos app to other apps' domain events (connected in VideosConfig.ready)."""

from django.dispatch import receiver

from channels.signals import channel_stopped

from .services import video_stop_for_channel


@receiver(channel_stopped, dispatch_uid="videos.stop_videos_of_stopped_channel")
def stop_videos_of_stopped_channel(sender, *, channel_id, reason: str, **kwargs) -> None:
    """A channel that stopped producing (archived, suspended, over its plan) stops its videos;
    the state machine gives back their holds."""
    video_stop_for_channel(channel_id=channel_id, reason=reason)
