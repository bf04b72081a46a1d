from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers connect to other apps' domain events; the tasks register with Celery in every
        # process (the pipeline's queue looks step tasks up by name); the channel API's youtube
        # object is supplied to channels through its port.
        from channels.ports import register_youtube_summary

        from . import receivers, tasks  # noqa: F401
        from .publishing import receivers as publishing_receivers  # noqa: F401
        from .publishing.summaries import channel_youtube_summaries

        register_youtube_summary(channel_youtube_summaries)
