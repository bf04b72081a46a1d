from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: models (through services) cannot be imported before the app registry is ready.
        from accounts.signals import tier_changed

        from .receivers import enforce_limit_on_tier_change

        tier_changed.connect(enforce_limit_on_tier_change, dispatch_uid="channels.enforce_limit_on_tier_change")
