from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _upsert_schedules(sender, **kwargs) -> None:
    from ytempire.schedules import setup_periodic_tasks  # django_celery_beat's models load after apps

    setup_periodic_tasks()


class OpsConfig(AppConfig):
    """The platform's own entrances: root and health endpoints, metrics, demo, benchmark, schedules."""

    name = "ytempire.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Once per migrate run, after every app's tables exist. Django sends post_migrate only for
        # apps with models, so the sender is django-celery-beat's app (whose tables it fills), not this one.
        post_migrate.connect(
            _upsert_schedules,
            sender=apps.get_app_config("django_celery_beat"),
            dispatch_uid="ytempire.upsert_schedules",
        )
        from . import metrics  # reads every app's selectors and models, which load after the app registry

        metrics.install()
