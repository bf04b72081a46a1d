from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def ensure_token_settings_safe(jwt_settings: dict | None = None, installed: bool | None = None) -> None:
    """Refuse to start when refresh rotation is on without the blacklist (rotated tokens would stay valid)."""
    jwt_settings = settings.SIMPLE_JWT if jwt_settings is None else jwt_settings
    if installed is None:
        installed = apps.is_installed("rest_framework_simplejwt.token_blacklist")
    if jwt_settings.get("ROTATE_REFRESH_TOKENS") and not (jwt_settings.get("BLACKLIST_AFTER_ROTATION") and installed):
        raise ImproperlyConfigured(
            "SIMPLE_JWT rotates refresh tokens without blacklisting the old ones: set BLACKLIST_AFTER_ROTATION "
            "and install rest_framework_simplejwt.token_blacklist."
        )
