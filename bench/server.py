"""gunicorn as production runs it (Dockerfile/compose: 4 sync workers, /dev/shm, no gunicorn access log
-- the app's JSON request line is the access log --, 60 s timeout), the workers' own CPU time from
/proc, and the server side of every request (the app's request lines in the server's output)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .http import RequestSpec, render, send

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_REQUEST_LINE = b'"logger": "ytempire.request"'
_STATUS = re.compile(rb'"status": (\d{3})')


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields resume after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


def process_cpu_ms(pid: int) -> float | None:
    fields = _stat_fields(pid)
    if fields is None:
        return None
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) * 1000 / CLOCK_TICKS


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


@dataclass
class Snapshot:
    cpu_ms: float
    log_offset: int
    workers: tuple[int, ...]


class Server:
    """One gunicorn master with ``workers`` sync workers on 127.0.0.1:``port``."""

    IDLE_INTERVAL = 0.2
    IDLE_DETECTION_SECONDS = 2 * IDLE_INTERVAL  # wait_idle's two calm intervals

    def __init__(
        self, *, name: str, port: int, env: dict[str, str], log_dir: Path, request_log: bool, workers: int = 4
    ):
        self.name = name
        self.port = port
        self.env = env
        self.workers_wanted = workers
        self.error_log = log_dir / f"gunicorn-{name}.log"
        # The app's one JSON line per request (ytempire.request) goes to gunicorn's output with
        # everything else; the server without logging writes none (wrk's counts are used there).
        self.request_log = self.error_log if request_log else None
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 90.0) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "ytempire.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers_wanted),
            "--worker-tmp-dir",
            "/dev/shm",  # noqa: S108 - as production (Dockerfile)
            "--timeout",
            "60",
        ]
        log = open(self.error_log, "wb")  # noqa: SIM115 - kept open for the server's life
        self.process = subprocess.Popen(  # noqa: S603
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        probe = render(RequestSpec("GET", "/api/v1/health"), host="127.0.0.1")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited: see {self.error_log}")
            try:
                if (
                    send("127.0.0.1", self.port, probe, timeout=2).status == 200
                    and len(self.workers()) == self.workers_wanted
                ):
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"gunicorn ({self.name}) did not answer /api/v1/health within {timeout:.0f}s: {self.error_log}"
        )

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def cpu_ms(self, workers: list[int] | tuple[int, ...] | None = None) -> float:
        return sum(process_cpu_ms(pid) or 0.0 for pid in (workers or self.workers()))

    def snapshot(self) -> Snapshot:
        workers = tuple(self.workers())
        offset = self.request_log.stat().st_size if self.request_log else 0
        return Snapshot(cpu_ms=self.cpu_ms(workers), log_offset=offset, workers=workers)

    def requests_since(self, snap: Snapshot) -> tuple[int, dict[int, int]]:
        """(requests, {status: n}) the app's request lines recorded since ``snap``."""
        if self.request_log is None:
            return 0, {}
        with open(self.request_log, "rb") as f:
            f.seek(snap.log_offset)
            data = f.read()
        statuses: dict[int, int] = {}
        for line in data.splitlines():
            if _REQUEST_LINE not in line:
                continue
            match = _STATUS.search(line)
            status = int(match.group(1)) if match else 0
            statuses[status] = statuses.get(status, 0) + 1
        return sum(statuses.values()), statuses

    def wait_idle(self, *, quiet_ms: float = 15.0, interval: float = IDLE_INTERVAL, timeout: float = 180.0) -> float:
        """Wait until the workers burn (almost) no CPU for two intervals in a row (requests a
        client abandoned are still served). Returns the seconds waited."""
        started = time.monotonic()
        last = self.cpu_ms()
        calm = 0
        while time.monotonic() - started < timeout:
            time.sleep(interval)
            now = self.cpu_ms()
            calm = calm + 1 if now - last <= quiet_ms else 0
            last = now
            if calm >= 2:
                break
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
