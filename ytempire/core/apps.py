from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _upsert_schedules(sender, **kwargs) -> None:
    from ytempire.schedules import setup_periodic_tasks

    setup_periodic_tasks()


class CoreConfig(AppConfig):
    name = "ytempire.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        # Once per migrate run (sender is this app), after every app's tables exist.
        post_migrate.connect(_upsert_schedules, sender=self, dispatch_uid="ytempire.upsert_schedules")
