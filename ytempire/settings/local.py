"""Local development: the embedded default (SQLite, local memory, file-system broker)."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
CREDENTIALS_ALLOW_DEV_KEY = True
