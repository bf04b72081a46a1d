"""The Celery worker and beat log at the level they are started with (`make run` asks WARNING),
through the project's JSON logging, and never hide warnings or errors. Real `celery` processes
on the test database and the Redis broker."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from ytempire.celery import READY_DIR_ENV, app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))


def _env(ready_dir: Path) -> dict:
    """The test settings, pointed at the test database (not the developer's)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    url = f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ytempire.settings.test",
        "DATABASE_URL": url,
        READY_DIR_ENV: str(ready_dir),
    }


def _run(args: list[str], *, tmp_path: Path, until, timeout: float = 60) -> list[dict | str]:
    """Start ``celery <args>``, wait until ``until(ready_dir, output)``, stop it; its output lines
    (JSON log records parsed, anything else as text)."""
    ready_dir, log = tmp_path / f"ready-{uuid.uuid4().hex}", tmp_path / f"out-{uuid.uuid4().hex}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own celery command
            [CELERY, "-A", "ytempire", "-q", *args],
            cwd=settings.BASE_DIR,
            env=_env(ready_dir),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while not until(ready_dir, log.read_text(errors="replace")):
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, f"timed out: {log.read_text(errors='replace')}"
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    lines: list[dict | str] = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append(line)
    return lines


def _records(lines) -> list[dict]:
    return [line for line in lines if isinstance(line, dict)]


def _worker(level: str, tmp_path: Path, *, wait_for: tuple[str, ...] = ()) -> list[dict | str]:
    """A worker on a queue of its own, given a task to run and a task nobody knows (an error);
    stopped once it is ready, has refused the unknown task and has printed every ``wait_for``
    text (the two messages may be taken in either order on a loaded machine)."""
    queue = f"logcheck-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False  # the test settings run tasks in-process; these go to the broker
    try:
        app.send_task("celery.accumulate", args=[1], queue=queue)
        app.send_task("ytempire.no_such_task", queue=queue)
        return _run(
            ["worker", f"--loglevel={level}", "--pool=solo", "-Q", queue, "-n", f"{queue}@%h", "--without-mingle"],
            tmp_path=tmp_path,
            until=lambda ready, out: (
                (ready / "worker").exists() and "ytempire.no_such_task" in out and all(text in out for text in wait_for)
            ),
        )
    finally:
        app.conf.task_always_eager = True
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)


def test_a_worker_started_at_warning_prints_no_task_chatter_but_still_its_errors(tmp_path):
    lines = _worker("WARNING", tmp_path)
    records = _records(lines)

    assert [r for r in records if r["level"] in ("DEBUG", "INFO")] == [], lines
    (error,) = [r for r in records if r["level"] == "ERROR"]
    assert error["logger"].startswith("celery.worker") and "ytempire.no_such_task" in error["message"]


def test_a_worker_started_at_info_prints_each_task(tmp_path):
    lines = _worker("INFO", tmp_path, wait_for=("succeeded in",))
    records = _records(lines)

    messages = [r["message"] for r in records if r["level"] == "INFO"]
    assert any(m.startswith("Task celery.accumulate[") and "received" in m for m in messages), lines
    assert any(m.startswith("Task celery.accumulate[") and "succeeded" in m for m in messages), lines
    assert any(r["level"] == "ERROR" and "ytempire.no_such_task" in r["message"] for r in records), lines


@pytest.mark.parametrize("level", ["WARNING", "INFO"])
def test_beat_logs_at_the_level_it_is_started_with(level, tmp_path):
    PeriodicTask.objects.all().delete()  # nothing due: beat sends no task to the shared broker

    lines = _run(
        ["beat", f"--loglevel={level}", "--max-interval=1"],
        tmp_path=tmp_path,
        until=lambda ready, out: (ready / "beat").exists(),
    )

    infos = [r["message"] for r in _records(lines) if r["level"] in ("DEBUG", "INFO")]
    if level == "WARNING":
        assert infos == []
        assert not any("celery beat v" in line for line in lines if isinstance(line, str))  # -q: no banner
    else:
        assert "beat: Starting..." in infos
