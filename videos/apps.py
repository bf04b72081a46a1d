from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ytempire.schedules import Schedule, register

        register(
            Schedule(
                name="videos: dispatch waiting videos",
                task="videos.tasks.video_dispatch_task",
                every_seconds=60,
                expires_seconds=55,
            )
        )
        register(
            Schedule(
                name="videos: sweep stuck videos",
                task="videos.tasks.video_sweep_task",
                every_seconds=5 * 60,
                expires_seconds=4 * 60,
            )
        )
        register(
            Schedule(
                name="videos: channel automation",
                task="videos.tasks.automation_run_task",
                every_seconds=15 * 60,
                expires_seconds=14 * 60,
            )
        )
