"""Production: fails fast on unsafe values, passes `check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from ytempire.core.settings_checks import production_settings_problems

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# Trust X-Forwarded-Proto only behind a TLS proxy that sets it and drops any value the client sent.
# "HEADER,value" (the default: HTTP_X_FORWARDED_PROTO,https); empty: trust no header (no proxy, e.g. compose).
_proxy_ssl_header = env.tuple("SECURE_PROXY_SSL_HEADER", default=("HTTP_X_FORWARDED_PROTO", "https"))
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        'SECURE_PROXY_SSL_HEADER must be "HEADER,value" (e.g. HTTP_X_FORWARDED_PROTO,https) or empty'
    )
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header or None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^api/v1/health/?$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

_problems = production_settings_problems(globals())
if _problems:
    raise ImproperlyConfigured("Refusing to start with unsafe production settings: " + "; ".join(_problems))
