"""The simulation's own infrastructure: its PostgreSQL database (cloned from a migrated template
kept per migration state), a dedicated redis-server it can stop and start, free ports, and the
app's processes (web, worker, beat) as subprocesses it can kill and restart."""

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL ------------------------------------------------------------------------------------


def _admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def _name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def migrations_digest() -> str:
    """A digest of every migration file (and Django's version): the template is re-made when it changes."""
    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(BASE_DIR.glob("*/migrations/*.py")) + sorted(BASE_DIR.glob("ytempire/*/migrations/*.py")):
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _connect_admin(database_url: str):
    url = _admin_url(database_url).replace("postgres://", "postgresql://", 1)
    return psycopg.connect(url, autocommit=True)


def database_exists(database_url: str, name: str) -> bool:
    with _connect_admin(database_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_recreate(database_url: str, *, template: str | None = None, name: str | None = None) -> None:
    name = name or _name(database_url)
    with _connect_admin(database_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_prepare(database_url: str, *, env: dict, log) -> str:
    """Create the simulation's database, migrated: cloned from ``<name>_tpl_<digest>`` (made with
    ``manage.py migrate`` the first time a migration state is seen). Returns the template's name."""
    name = _name(database_url)
    template = f"{name}_tpl_{migrations_digest()}"
    if not database_exists(database_url, template):
        log(f"migrating a new template database {template} (once per migration state)")
        template_url = urlunsplit(urlsplit(database_url)._replace(path=f"/{template}"))
        database_recreate(database_url, name=template)
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env={**env, "YTEMPIRE_SIM_DATABASE_URL": template_url},
            check=True,
        )
        with _connect_admin(database_url) as conn:  # old templates of other migration states
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s", [f"{name}_tpl_%", template]
            ).fetchall()
            for (old,) in rows:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old)))
    database_recreate(database_url, template=template)
    return template


# --- Redis -----------------------------------------------------------------------------------------


class RedisServer:
    """A dedicated redis-server (append-only file, as the production compose file runs it)."""

    def __init__(self, *, folder: Path, port: int):
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen | None = None
        self.outages: list[tuple[float, float]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - redis-server from PATH, fixed arguments
            [  # noqa: S607
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=open(self.folder / "redis.log", "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


# --- The app's processes ---------------------------------------------------------------------------


class AppProcess:
    """One of the app's processes (web, worker, beat), in its own process group (a kill reaches the
    pool's children too), logging to ``<run>/logs/<name>.log``."""

    def __init__(self, name: str, args: list[str], *, env: dict, logs: Path):
        self.name = name
        self.args = args
        self.env = env
        self.logs = logs
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = open(self.logs / f"{self.name}.log", "a")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", *self.args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group (the main process and its pool children) at once."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
