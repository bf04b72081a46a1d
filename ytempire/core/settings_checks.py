"""Checks that production settings are safe; used by settings/production.py at import."""

from collections.abc import Mapping
from typing import Any

MIN_SECRET_LENGTH = 50


def production_settings_problems(values: Mapping[str, Any]) -> list[str]:
    """Return a human-readable problem for every unsafe value (empty list: safe)."""
    problems: list[str] = []
    if values.get("DEBUG"):
        problems.append("DEBUG must be off")
    secret = values.get("SECRET_KEY") or ""
    if secret == values.get("INSECURE_DEFAULT_SECRET_KEY") or secret.startswith("django-insecure"):
        problems.append("SECRET_KEY is the development default")
    elif len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 5:
        problems.append(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} varied characters")
    jwt_key = values.get("JWT_SIGNING_KEY") or ""
    if jwt_key.startswith("insecure") or len(jwt_key) < 32:
        problems.append("JWT_SIGNING_KEY must be set to at least 32 characters")
    elif jwt_key == secret:
        problems.append("JWT_SIGNING_KEY must differ from SECRET_KEY")
    hosts = [h for h in values.get("ALLOWED_HOSTS") or [] if h]
    if not hosts or "*" in hosts:
        problems.append("ALLOWED_HOSTS must list the served host names")
    return problems
