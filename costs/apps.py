from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals, tasks  # noqa: F401  (wire the ledger receivers and the worker_ready hook)
