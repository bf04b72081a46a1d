from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """What the business sees: the operations overview (shared by the admin dashboard and the API),
    daily rollups, and YouTube statistics and revenue read through each channel's own account."""

    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The tasks register with Celery in every process (beat schedules name them).
        from . import tasks  # noqa: F401
