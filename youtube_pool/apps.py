from django.apps import AppConfig


class YouTubePoolConfig(AppConfig):
    """Schedules of this app's tasks (quota reset, health sweep) are defined in ytempire/schedules.py."""

    name = "youtube_pool"
    verbose_name = "YouTube pool"
    default_auto_field = "django.db.models.BigAutoField"
