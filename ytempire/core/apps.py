from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ytempire.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from . import openapi  # noqa: F401  (registers the OpenAPI extensions: strict bodies, money)
