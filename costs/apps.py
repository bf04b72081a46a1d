from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ytempire.schedules import Schedule, register

        from . import signals, tasks  # noqa: F401  (wire receivers and the worker_ready hook)

        register(
            Schedule(
                name="costs: expire stale reservations",
                task="costs.tasks.cost_expire_holds_task",
                every_seconds=5 * 60,
                expires_seconds=4 * 60,
            )
        )
