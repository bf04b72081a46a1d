from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .checks import ensure_token_settings_safe

        ensure_token_settings_safe()
        from . import receivers, schema  # noqa: F401  (the identity cache's receivers; the OpenAPI auth extension)
