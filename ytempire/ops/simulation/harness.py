"""The coordinator of a simulated day (``python -m ytempire.ops.simulation.harness CONFIG.json``).

It owns the world: the dedicated Redis, the simulation's database, the fakes (in its own process,
following the clock like everyone), the population, the clock, the faults and the report. The app
runs as it does in production: a WSGI server, a Celery worker (prefork) and celery beat, each a
subprocess started through a simulation entrypoint that only makes it follow the clock.

Phases (real seconds are measured for each): setup (Redis, database from its template, fakes,
population, processes), the day (the clock runs; beat's automation queues the videos; the world's
faults happen), the drain (automation is switched off at the day's end and the pipeline finishes
what it started, until every unfinished video waits for a stated reason, or the drain's limit),
the report.
"""

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .clock import ClockStore, Follower, SimClock
from .faults import Dice, FaultConfig, Faults, TruthLog, world_schedule
from .infra import AppProcess, RedisServer, database_prepare, free_port

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ytempire_sim"
SETTINGS_MODULE = "ytempire.ops.simulation.settings"


@dataclass
class Config:
    channels: int = 500
    users: int = 50
    accounts: int = 15
    projects: int = 2
    videos_per_day: int = 60
    seed: int = 1
    hours: float = 24.0
    start: str = "auto"
    day_seconds: float = 300.0  # real seconds for 24 simulated hours
    drain_hours: float = 3.0  # the longest simulated drain after the day
    worker_concurrency: int = 4
    database_url: str = DEFAULT_DATABASE_URL
    output_dir: str = "var/simulations"
    report_path: str = ""
    keep_media: bool = False
    quiet: bool = False
    log_level: str = "WARNING"
    # COST_ESTIMATE_MIN_SAMPLES in the simulated world: a day has ~20 videos per level, fewer than
    # production's 30, so the estimates learn from the ledger within the day (the report says so).
    estimate_min_samples: int = 8
    faults: FaultConfig = field(default_factory=FaultConfig)

    @property
    def speed(self) -> float:
        return 86400.0 / self.day_seconds

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str) -> "Config":
        data = json.loads(raw)
        return cls(**{**data, "faults": FaultConfig(**data.get("faults", {}))})


def resolve_start(config: Config, *, today: datetime) -> datetime:
    """The window's start: given, or for a day the UTC midnight of today, or for a shorter window
    one centred on today's Pacific midnight (the window must hold one)."""
    from .fakes import PACIFIC

    if config.start != "auto":
        start = datetime.fromisoformat(config.start)
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    midnight_utc = today.replace(hour=0, minute=0, second=0, microsecond=0)
    if config.hours >= 24:
        return midnight_utc
    local = today.astimezone(PACIFIC).date()
    pacific_midnight = datetime(local.year, local.month, local.day, tzinfo=PACIFIC).astimezone(UTC)
    return pacific_midnight - timedelta(hours=config.hours / 2)


class Run:
    def __init__(self, config: Config):
        self.config = config
        self.t0 = time.monotonic()
        self.timings: dict[str, float] = {}
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.output = Path(config.output_dir).resolve()
        self.run_dir = self.output / "runs" / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.speed = config.speed
        self.start = resolve_start(config, today=datetime.now(UTC))
        self.end = self.start + timedelta(hours=config.hours)
        self.sim_end = self.end
        self.dice = Dice(config.seed)
        self.faults = Faults(config.faults, self.dice)
        self.truth = TruthLog()
        self.process_events: list[dict] = []
        self.processes: dict[str, AppProcess] = {}
        self.redis: RedisServer | None = None
        self.options = asdict(config)
        self._scans_before: dict = {}
        self.autovacuum = True
        self.analyzed = 0

    def log(self, message: str) -> None:
        if not self.config.quiet:
            elapsed = time.monotonic() - self.t0
            print(f"[simulate_day {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)  # noqa: T201

    # --- setup --------------------------------------------------------------------------------------
    def setup(self) -> None:
        from .fakes import SimN8N, SimOpenAI, SimTTS, SimYouTube, pacific_midnights
        from .n8n import RenderWorkflow, Scheduler

        self.midnights = pacific_midnights(self.start, self.end)
        if not self.midnights:
            raise SystemExit(f"the simulated window {self.start} .. {self.end} holds no Pacific midnight")
        self.redis = RedisServer(folder=self.run_dir / "redis", port=free_port())
        self.redis.start()
        storage = self.run_dir / "media"
        storage.mkdir(parents=True, exist_ok=True)
        self.youtube = SimYouTube(faults=self.faults, truth=self.truth).start()
        self.scheduler = Scheduler().start()
        self.workflow = RenderWorkflow(faults=self.faults, truth=self.truth, storage=storage, scheduler=self.scheduler)
        self.openai = SimOpenAI(faults=self.faults).start()
        self.tts = SimTTS(faults=self.faults).start()
        n8n_key = f"n8n-sim-{self.config.seed}"
        self.n8n = SimN8N(api_key=n8n_key, faults=self.faults, workflow=self.workflow).start()
        self.web_port = free_port()
        secret = "whsec_" + __import__("base64").b64encode(os.urandom(32)).decode()
        self.sim_env = {
            "database_url": self.config.database_url,
            "redis_url": self.redis.url,
            "clock_file": str(self.run_dir / "clock.json"),
            "speed": self.speed,
            "run_dir": str(self.run_dir),
            "storage_path": str(storage),
            "web_port": self.web_port,
            "openai_url": self.openai.url,
            "tts_url": self.tts.url,
            "n8n_url": self.n8n.url,
            "n8n_api_key": n8n_key,
            "n8n_secret": secret,
            "youtube_url": self.youtube.base_url,
            "ca_file": self.youtube.ca_file,
            "log_level": self.config.log_level,
            "estimate_min_samples": self.config.estimate_min_samples,
        }
        os.environ["YTEMPIRE_SIM"] = json.dumps(self.sim_env)
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.log(f"database {self.config.database_url.rsplit('/', 1)[-1]} from its migrated template")
        database_prepare(self.config.database_url, env=self.env, log=self.log)

        store = ClockStore(redis_url=self.redis.url, path=self.sim_env["clock_file"])
        self.clock = SimClock(store, start=self.start, speed=self.speed)
        self.follower = Follower(store, self.clock.state).start()

        import django

        django.setup()
        from costs.services import rate_table
        from ytempire.schedules import setup_periodic_tasks

        # What `migrate` and `manage.py setup_periodic_tasks` do: a template migrated by an older
        # checkout may lack a schedule added since.
        setup_periodic_tasks()

        self.workflow.configure(secret=secret, rates=rate_table(), speed=self.speed)
        self.log(
            f"population: {self.config.users} users, {self.config.channels} channels, "
            f"{self.config.accounts} accounts on {self.config.projects} projects (OAuth against the fake Google)"
        )
        from .seed import seed

        surprise = None
        if self.config.faults.upload_cap_surprise:
            surprise = self.config.faults.surprise_cap
            if surprise is None:
                surprise = 2 if self.config.hours >= 24 else 0
        self.population = seed(
            fake=self.youtube,
            dice=self.dice,
            channels=self.config.channels,
            users=self.config.users,
            accounts=self.config.accounts,
            projects=self.config.projects,
            videos_per_day=self.config.videos_per_day,
            surprise_cap=surprise,
        )
        self.schedule = world_schedule(
            config=self.config.faults, start=self.start, end=self.end, pacific_midnight=self.midnights[0]
        )
        concurrency = str(self.config.worker_concurrency)
        self.processes = {
            "web": AppProcess(
                "web", ["ytempire.ops.simulation.web", str(self.web_port)], env=self.env, logs=self.run_dir / "logs"
            ),
            "worker": AppProcess(
                "worker",
                [
                    "ytempire.ops.simulation.worker",
                    f"--loglevel={self.config.log_level}",
                    "-Q",
                    "default,pipeline,render,upload",
                    f"--concurrency={concurrency}",
                    "-n",
                    "simulation@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=self.env,
                logs=self.run_dir / "logs",
            ),
            "beat": AppProcess("beat", ["ytempire.ops.simulation.beat"], env=self.env, logs=self.run_dir / "logs"),
        }
        for process in self.processes.values():
            process.start()
        self._wait_ready(("web", "worker", "beat"), timeout=90)
        from django.db import connection

        from .scans import table_scans

        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            self.autovacuum = cursor.fetchone()[0] == "on"
        self._analyze()
        self._scans_before = table_scans()

    def _wait_ready(self, roles, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ready = self.run_dir / "ready"
        while time.monotonic() < deadline:
            if all((ready / role).exists() for role in roles):
                return
            for name, process in self.processes.items():
                if not process.alive():
                    raise RuntimeError(f"the {name} process exited during start-up: see {self.run_dir}/logs/{name}.log")
            time.sleep(0.1)
        raise RuntimeError(f"processes not ready after {timeout}s: see {self.run_dir}/logs")

    # --- the day ------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC)

    def run(self) -> None:
        from django.utils import timezone

        setup_done = time.monotonic()
        self.timings["setup"] = setup_done - self.t0
        day_real = self.config.hours * 3600 / self.speed
        kill_every = self.config.faults.kill_worker_every
        next_kill = setup_done + kill_every if kill_every else None
        outage = self.config.faults.redis_outage
        outage_at = setup_done + self.config.faults.redis_outage_at * day_real if outage else None
        outage_end = None
        revokes = list(self.schedule.revoke_at)
        exhaust_at = self.schedule.exhaust_at
        phase, drain_deadline, quiet_checks, next_check, next_progress = "day", None, 0, 0.0, 0.0
        self.log(f"the clock runs: {self.start:%Y-%m-%d %H:%M} UTC, x{self.speed:.0f} ({day_real:.0f}s for the window)")
        self.clock.run()
        self.faults.active = True
        day_started = time.monotonic()
        while True:
            real = time.monotonic()
            now = timezone.now()
            if revokes and now >= revokes[0]:
                revokes.pop(0)
                self._revoke_one(now)
            if exhaust_at and now >= exhaust_at:
                exhaust_at = None
                self._exhaust_project(now)
            if next_kill and real >= next_kill:
                self._kill_worker(now)
                next_kill = time.monotonic() + kill_every
            if outage_at and real >= outage_at:
                outage_at = None
                running = self._when_a_step_runs()
                now, real = timezone.now(), time.monotonic()
                outage_end = real + outage
                self.redis.stop()
                self.process_events.append(
                    {
                        "kind": "redis_down",
                        "real_offset": round(real - day_started, 1),
                        "sim_at": now.isoformat(),
                        "running": [n.rsplit(".", 1)[-1] for n in running],
                    }
                )
                self.log(f"Redis stopped for {outage:.0f}s (sim {now:%H:%M})")
            if outage_end and real >= outage_end:
                outage_end = None
                self.redis.start()
                self.clock.refresh()
                self.process_events.append(
                    {"kind": "redis_up", "real_offset": round(real - day_started, 1), "sim_at": now.isoformat()}
                )
                self.log(f"Redis back (sim {now:%H:%M})")
            for name in ("web", "beat"):
                if not self.processes[name].alive():
                    self.process_events.append({"kind": f"{name}_died", "sim_at": now.isoformat()})
                    self.log(f"the {name} process died: restarting it (see its log)")
                    self.processes[name].start()
            if not self.processes["worker"].alive():
                self.process_events.append({"kind": "worker_died", "sim_at": now.isoformat()})
                self.log("the worker died on its own: restarting it")
                self.processes["worker"].start()
            if phase == "day" and now >= self.end:
                phase = "drain"
                self.timings["day"] = time.monotonic() - day_started
                drain_started = time.monotonic()
                drain_deadline = self.end + timedelta(hours=self.config.drain_hours)
                self._automation_off()
                self.log(f"the day is over (sim {now:%Y-%m-%d %H:%M}): automation off, draining")
            if phase == "drain" and real >= next_check and not outage_end:
                next_check = real + 0.5
                quiet_checks = quiet_checks + 1 if self._quiescent(drain_deadline) else 0
                if quiet_checks >= 3 or now >= drain_deadline:
                    if now >= drain_deadline:
                        self.log("the drain's limit is reached")
                    break
            if real >= next_progress:
                next_progress = real + 15
                self.log(self._progress(now))
                if not self.autovacuum and not outage_end:
                    self._analyze()
            time.sleep(0.02)
        self.timings["drain"] = time.monotonic() - drain_started
        self.sim_end = timezone.now()
        self.clock.pause()
        self.log(f"done at sim {self.sim_end:%Y-%m-%d %H:%M}: stopping the processes")
        for name in ("beat", "worker", "web"):
            self.processes[name].stop()

    def _progress(self, now: datetime) -> str:
        from django.db.models import Count

        from videos.models import Video

        counts = dict(Video.objects.values_list("status").annotate(n=Count("id")))
        return f"sim {now:%m-%d %H:%M} UTC  " + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))

    def _analyze(self) -> None:
        """Fresh planner statistics, as autovacuum keeps them in production. When the server runs
        without autovacuum (this machine's does), the coordinator analyzes every ANALYZE_EVERY real
        seconds instead; otherwise the planner keeps the template's empty-table statistics all day and
        reads whole tables that it would not read in production."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.analyzed += 1

    def _quiescent(self, deadline: datetime) -> bool:
        """Nothing left to happen before the drain's limit: every unfinished video waits, and until
        after the limit; no hold is open."""
        from costs.models import Reservation
        from videos.models import ACTIVE_STATUSES, Video

        for metadata in Video.objects.filter(status__in=ACTIVE_STATUSES).values_list("metadata", flat=True):
            wait = ((metadata or {}).get("pipeline") or {}).get("wait")  # the pipeline writes "wait": null
            if not wait or datetime.fromisoformat(wait["until"]) <= deadline:
                return False
        return not Reservation.objects.filter(status="open").exists()

    def _automation_off(self) -> None:
        """The simulated day ends: beat stops queueing (staff switching the schedule off would do the same)."""
        from django_celery_beat.models import PeriodicTask, PeriodicTasks

        PeriodicTask.objects.filter(task="videos.tasks.automation_run_task").update(enabled=False)
        PeriodicTasks.update_changed()

    # --- world faults -----------------------------------------------------------------------------------
    def _revoke_one(self, now: datetime) -> None:
        from channels.models import Channel

        taken = {e.detail["channel_id"] for e in self.truth.of("revoked")}
        candidates = sorted(
            c for c in self.population.bound if c not in taken and c != self.population.surprise.get("channel_id")
        )
        if not candidates:
            return
        channel_id = self.dice.choice(candidates)
        channel = Channel.objects.select_related("youtube_account").get(pk=channel_id)
        if channel.youtube_account is None:
            return
        youtube_channel_id = channel.youtube_account.channel_id
        revoked = self.youtube.revoke_channel(youtube_channel_id)
        self.truth.record(
            "revoked",
            now,
            channel_id=channel_id,
            account_id=str(channel.youtube_account_id),
            youtube_channel_id=youtube_channel_id,
            grants=revoked,
        )
        self.log(f"revoked the grant of a connected channel's account (sim {now:%H:%M})")

    def _exhaust_project(self, now: datetime) -> None:
        from collections import Counter

        per_project = Counter(self.population.accounts[a]["project_id"] for a in self.population.bound.values())
        project_id = sorted(per_project, key=lambda p: (-per_project[p], p))[0]
        client_id = self.population.projects[project_id]
        self.youtube.exhaust_project(client_id)
        self.truth.record("project_exhausted", now, project_id=project_id, client_id=client_id)
        self.log(f"project {client_id} exhausted its upload quota (sim {now:%H:%M})")

    # --- process faults -------------------------------------------------------------------------------
    def _when_a_step_runs(self, timeout: float = 5.0) -> list[str]:
        """Wait (up to ``timeout`` real seconds) until the worker runs a pipeline step and not the
        automation pass (a process fault there would only cost automation a slot); returns what runs."""
        active = self.run_dir / "active"
        deadline = time.monotonic() + timeout
        running: list[str] = []
        while time.monotonic() < deadline:
            running = []
            for path in list(active.glob("*")) if active.exists() else []:
                try:
                    running.append(path.read_text())
                except OSError:
                    continue
            if any(".step_" in name for name in running) and not any("automation" in n for n in running):
                break
            time.sleep(0.005)
        return running

    def _kill_worker(self, now: datetime) -> None:
        """SIGKILL the worker (main process and pool) while a step runs, then start it again."""
        active = self.run_dir / "active"
        running = self._when_a_step_runs()
        self.processes["worker"].kill()
        for path in active.glob("*") if active.exists() else []:
            path.unlink(missing_ok=True)
        self.process_events.append(
            {"kind": "worker_killed", "sim_at": now.isoformat(), "running": [n.rsplit(".", 1)[-1] for n in running]}
        )
        self.log(f"worker SIGKILLed while running {running or 'nothing'}; restarting")
        self.processes["worker"].start()

    # --- report ------------------------------------------------------------------------------------------
    def table_scans_delta(self, after: dict) -> dict:
        delta = {}
        for table, row in after.items():
            before = self._scans_before.get(table, {})
            delta[table] = {
                "seq_scans": row["seq_scan"] - before.get("seq_scan", 0),
                "rows_read_by_seq_scans": row["seq_tup_read"] - before.get("seq_tup_read", 0),
                "index_scans": row["idx_scan"] - before.get("idx_scan", 0),
                "rows_now": row["rows"],
            }
        return delta

    def fault_summary(self) -> dict:
        world = {}
        for event in self.truth.events:
            if event.kind in (
                "revoked",
                "project_exhausted",
                "n8n_silent",
                "n8n_delivery_given_up",
                "youtube_quota_reset",
            ):
                world[event.kind] = world.get(event.kind, 0) + 1
        return {
            "injected": dict(sorted(self.faults.counts.items())),
            "world": world,
            "world_events": self.truth.as_dicts(exclude=("youtube_day_usage",)),
            "processes": dict(
                sorted(
                    {
                        kind: sum(1 for e in self.process_events if e["kind"] == kind)
                        for kind in {e["kind"] for e in self.process_events}
                    }.items()
                )
            ),
            "process_events": self.process_events,
            "worker_starts": self.processes["worker"].starts if self.processes else 0,
            "n8n": {"workflow": self.workflow.stats, "deliveries": dict(sorted(self.workflow.deliveries.items()))},
        }

    def report(self) -> dict:
        from django.db import connection

        from .report import build_report
        from .table import render_table

        connection.close()  # a fresh connection: the statistics of the stopped processes are flushed
        started = time.monotonic()
        report = build_report(self)
        self.timings["report"] = time.monotonic() - started
        self.timings["total"] = time.monotonic() - self.t0
        report["run"]["wall_seconds"] = {k: round(v, 1) for k, v in self.timings.items()}
        text = json.dumps(report, indent=2, default=str)
        path = self.output / f"{self.run_id}.json"
        path.write_text(text)
        if self.config.report_path:
            Path(self.config.report_path).parent.mkdir(parents=True, exist_ok=True)
            Path(self.config.report_path).write_text(text)
        (self.run_dir / "report.txt").write_text(render_table(report) + "\n")
        self.log(f"report: {path}")
        return report

    def cleanup(self) -> None:
        """Best effort at exit, whatever failed before: nothing of the run may outlive it."""
        for process in self.processes.values():
            if process.alive():
                process.kill()
        for name in ("scheduler", "openai", "tts", "n8n", "youtube"):
            if hasattr(self, name):
                with contextlib.suppress(Exception):
                    getattr(self, name).stop()
        if self.redis:
            self.redis.stop()
        if not self.config.keep_media:
            shutil.rmtree(self.run_dir / "media", ignore_errors=True)
            shutil.rmtree(self.run_dir / "redis" / "appendonlydir", ignore_errors=True)


def main(argv: list[str]) -> int:
    config = Config.loads(Path(argv[0]).read_text())
    run = Run(config)
    try:
        run.setup()
        run.run()
        run.report()
    finally:
        run.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
