"""`make bench` / `python -m bench`: seed, serve, measure, report (issue 14, "The benchmark").

Order of a run: the bench database is created, migrated and seeded (or reused); what earlier runs
wrote is removed; two gunicorn servers start as production runs them (the main one, and one without
metrics and logging for "B ÷ B bare"); every endpoint is checked once (2xx), warmed up and has its
queries counted; then ``--rounds`` rounds in rotated order, one wrk run per endpoint per round
(-t1 -c100, ``--seconds`` each, the servers idle before each); then the open-loop load per
endpoint; the servers stop; the service-level measurements run; the table is printed and written.
Any non-2xx answer or transport error fails the run (exit status 1).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .console import say
from .constants import EMAIL_DOMAIN

# The checkout `make bench` was started in (the run itself may execute from a snapshot of it).
SOURCE_ROOT = Path(os.environ.get("BENCH_SOURCE_ROOT") or Path(__file__).resolve().parent.parent)
RESULTS = SOURCE_ROOT / "bench" / "results"
LOG_DIR = SOURCE_ROOT / "var" / "bench"
SNAPSHOT = LOG_DIR / "src"


def _arguments(argv=None) -> argparse.Namespace:
    from .seed import DEFAULT_VIDEOS

    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument(
        "--videos", type=int, default=DEFAULT_VIDEOS, help="videos over --days (100000: the analytics goal's scale)"
    )
    p.add_argument("--channels", type=int, default=590)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    p.add_argument("--warmup", type=float, default=2.0, help="wrk seconds per endpoint before measuring")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--open-rate", type=float, default=100.0, help="requests/s of the open-loop load")
    p.add_argument("--open-seconds", type=float, default=30.0)
    p.add_argument("--drain", type=float, default=15.0, help="open loop: wait this long for the last answers")
    p.add_argument("--only", default="", help="comma-separated endpoint keys (B is always measured)")
    p.add_argument("--skip-open-loop", action="store_true")
    p.add_argument("--skip-services", action="store_true", help="skip holds, booking and automation")
    p.add_argument("--reseed", action="store_true", help="drop and seed the bench database again")
    p.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "18700")))
    p.add_argument("--output", type=Path, default=None, help="default: bench/results/latest.json when the run passes")
    p.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run from the working tree itself (default: from a copy taken at the start, so edits made "
        "while the bench runs do not mix two versions of the code into one measurement)",
    )
    return p.parse_args(argv)


def _snapshot(root: Path, target: Path) -> None:
    """Copy the checkout's files (tracked and untracked, not ignored) to ``target``; without git,
    everything but the virtualenv, var/ and caches."""
    if target.exists():
        shutil.rmtree(target)
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],  # noqa: S607
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        ignore = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", ".*_cache", "node_modules")
        shutil.copytree(root, target, ignore=ignore)
        return
    for name in filter(None, listed):
        source = root / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def _run_from_snapshot(argv: list[str]) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _snapshot(SOURCE_ROOT, SNAPSHOT)
    say(f"running from a snapshot of the working tree: {SNAPSHOT}")
    env = {**os.environ, "BENCH_SOURCE_ROOT": str(SOURCE_ROOT), "BENCH_CALLER_CWD": os.getcwd()}
    sys.exit(subprocess.call([sys.executable, "-m", "bench", *argv, "--no-snapshot"], cwd=SNAPSHOT, env=env))  # noqa: S603


def _configure_environment(args) -> None:
    """Before Django starts: the bench settings, and budgets that the seeded ledger leaves room in."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ytempire.settings.bench"
    os.environ.pop("BENCH_OBSERVABILITY", None)
    # The seed spends ~$0.25 a video; at 100,000 videos that is ~$280 a day, past the default $150 daily
    # budget, and generate would answer 403. Scale the budgets with the data set (never below the defaults).
    per_day = args.videos / args.days
    if "DAILY_COST_BUDGET" not in os.environ and per_day * 0.25 * 2 > 150:
        daily = math.ceil(per_day * 0.25 * 2)
        os.environ["DAILY_COST_BUDGET"] = f"{daily}.00"
        os.environ.setdefault("MONTHLY_COST_BUDGET", f"{daily * 31}.00")


def _log_to_file(path: Path) -> None:
    """The harness's own application logs (seeding, services, automation) go to a file, still
    formatted as production formats them (their cost is part of what the services measure)."""
    stream = open(path, "a")  # noqa: SIM115 - for the life of the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


def _load_users():
    from accounts.models import User
    from accounts.tokens import tokens_for
    from channels.models import Channel

    users = []
    for user in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email"):
        channels = list(Channel.objects.filter(user=user).order_by("created_at").values_list("pk", "status"))
        users.append(
            {
                "email": user.email,
                "token": tokens_for(user)["access_token"],
                "channel_ids": [pk for pk, _ in channels],
                "active_channel_ids": [pk for pk, status in channels if status == "active"],
            }
        )
    return users


def _analytics_path() -> str | None:
    from django.urls import Resolver404, resolve

    for path in ("/api/v1/analytics/overview", "/api/v1/analytics/overview/"):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.url_name != "api-not-found":
            return path
    return None


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = _arguments(argv)
    if not args.no_snapshot and "BENCH_SOURCE_ROOT" not in os.environ:
        _run_from_snapshot(argv)
    _configure_environment(args)
    import django

    django.setup()

    from django.conf import settings

    from . import database, endpoints, measure, micro, report
    from .database import reset_run_artifacts
    from .seed import SeedParams
    from .wrk import wrk_path

    started = time.monotonic()
    wrk_path()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _log_to_file(LOG_DIR / "harness.log")
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    params = SeedParams(users=args.users, channels=args.channels, videos=args.videos, days=args.days)
    seed_info = database.ensure_seeded(params, force=args.reseed)
    seeded_at = seed_info["seeded_at"]
    say(
        f"bench database {settings.DATABASES['default']['NAME']}: "
        + ("reused seed" if seed_info["reused"] else f"seeded in {seed_info['seed_seconds']}s")
        + f" ({', '.join(f'{n:,} {t}' for t, n in seed_info['rows'].items())})"
    )
    for note in seed_info.get("notes", []):
        say(f"  note: {note}")
    removed = reset_run_artifacts(seeded_at=seeded_at)
    if removed:
        say(f"removed what earlier runs wrote: {removed}")
    database.flush_redis()

    from videos.models import Video
    from youtube_pool.models import YouTubeAccount

    users = _load_users()
    processing = list(Video.objects.filter(status="processing").values_list("pk", flat=True))
    in_flight = list(
        Video.objects.filter(status__in=["queued", "processing", "ready", "uploading"]).values_list("pk", flat=True)
    )
    pool = list(
        YouTubeAccount.objects.filter(owner__isnull=True).order_by("channel_handle").values_list("pk", flat=True)
    )
    analytics = _analytics_path()
    notes = list(seed_info.get("notes", []))
    if analytics is None:
        notes.append("GET /api/v1/analytics/overview does not exist yet: not measured")
    every = endpoints.build(
        users=users,
        processing_video_ids=processing,
        webhook_secret=settings.N8N_WEBHOOK_SECRET,
        analytics_path=analytics,
    )
    wanted = {key.strip() for key in args.only.split(",") if key.strip()}
    unknown = wanted - {ep.key for ep in every}
    if unknown:
        raise SystemExit(f"--only: unknown endpoint(s) {sorted(unknown)}; known: {[ep.key for ep in every]}")
    # B is always measured (every ratio needs it), the hash view whenever login is.
    eps = [ep for ep in every if not wanted or ep.key in wanted | {"B"} or (ep.key == "hash" and "login" in wanted)]
    from django.db import connections

    connections.close_all()

    results: dict = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        servers = measure.start_servers(port=args.port, log_dir=LOG_DIR)
        try:
            http = measure.measure_http(eps, servers=servers, args=args, tmp=Path(tmp), failures=failures)
        finally:
            for server in servers.values():
                server.stop()
    results["endpoints"] = http

    services: dict = {}
    if not args.skip_services:
        # Each from the seeded state: the HTTP runs queued ~10^4 videos (automation would find no
        # room), holds count against the budget, bookings against the accounts' counters.
        for name, measure_service in (
            ("reservations", lambda: micro.reservations(video_ids=in_flight)),
            ("booking", lambda: micro.booking(account_ids=pool)),
            ("automation", micro.automation),
        ):
            reset_run_artifacts(seeded_at=seeded_at)
            database.flush_redis()
            say(f"service-level: {name} ...")
            services[name] = measure_service()
    results["services"] = services

    removed = reset_run_artifacts(seeded_at=seeded_at)
    database.flush_redis()
    results["cleanup"] = removed
    runtime = time.monotonic() - started
    document = report.build_document(
        args=args, seed_info=seed_info, endpoints=eps, results=results, failures=failures, notes=notes, runtime=runtime
    )
    say(report.table(document))
    path = args.output or (RESULTS / ("latest.json" if not failures else "failed.json"))
    if not path.is_absolute():  # relative to where the command was typed, not to the snapshot
        path = Path(os.environ.get("BENCH_CALLER_CWD") or Path.cwd()) / path
    report.write(document, path)
    say(f"written {path}; runtime {runtime / 60:.1f} min")
    if failures:
        say("FAILED:\n  " + "\n  ".join(failures), error=True)
        sys.exit(1)
