from django.apps import AppConfig


class YouTubePoolConfig(AppConfig):
    name = "youtube_pool"
    verbose_name = "YouTube pool"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ytempire.schedules import Schedule, register

        register(
            Schedule(
                name="youtube-quota-reset",
                task="youtube_pool.tasks.youtube_quota_reset_task",
                crontab={"minute": "0", "hour": "0", "timezone": "America/Los_Angeles"},
                expires_seconds=3600,
            )
        )
        register(
            Schedule(
                name="youtube-health-sweep",
                task="youtube_pool.tasks.youtube_health_sweep_task",
                every_seconds=30 * 60,
                expires_seconds=25 * 60,
            )
        )
