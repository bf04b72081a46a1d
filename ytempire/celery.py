"""The Celery application. Tasks live in each app's tasks.py; schedules in ytempire/schedules.py."""

import logging
import logging.config
import os

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ytempire.settings.local")

app = Celery("ytempire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _ensure_broker_folders(sender, **kwargs) -> None:
    """The file-system transport (the embedded default) needs its folders to exist."""
    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


@signals.setup_logging.connect
def configure_worker_logging(loglevel=None, **kwargs) -> None:
    """Worker and beat log through settings.LOGGING (JSON lines, secrets redacted) at the level
    they were started with (``--loglevel``; Celery's default is WARNING).

    Without this receiver Celery only sets the root logger's level, and LOGGING's ``celery``
    logger (at LOG_LEVEL, INFO by default) kept printing every task's "received" and "succeeded"
    whatever ``--loglevel`` said. Here the root logger and every logger LOGGING puts at LOG_LEVEL
    take the command-line level; a logger LOGGING sets apart (``django.request`` at ERROR) is
    never made more talkative than the command line asks. Warnings and errors always print.
    """
    logging.config.dictConfig(settings.LOGGING)
    level = loglevel if isinstance(loglevel, int) else logging.getLevelName(str(loglevel or "").upper())
    if not isinstance(level, int):
        return  # no level given: LOGGING as it is
    logging.getLogger().setLevel(level)
    for name, config in settings.LOGGING.get("loggers", {}).items():
        configured = str(config.get("level", settings.LOG_LEVEL)).upper()
        if configured == str(settings.LOG_LEVEL).upper():
            logging.getLogger(name).setLevel(level)
        else:
            logging.getLogger(name).setLevel(max(level, logging.getLevelName(configured)))


# `make run` prints the logins once the server, the worker and beat are up: each process marks
# itself ready in YTEMPIRE_READY_DIR (unset elsewhere: nothing is written).
READY_DIR_ENV = "YTEMPIRE_READY_DIR"


def _mark_ready(name: str) -> None:
    folder = os.environ.get(READY_DIR_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(str(os.getpid()))


@signals.worker_ready.connect
def _worker_ready(**kwargs) -> None:
    _mark_ready("worker")


@signals.beat_init.connect
def _beat_ready(**kwargs) -> None:
    _mark_ready("beat")
