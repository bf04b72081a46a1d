"""`python -m bench.profile ENDPOINT [...]`: one endpoint's CPU per request, in process, and its profile.

The quick loop for issue 14's work: the bench settings (production middleware, metrics, JSON
logging, throttles), the bench seed in a database and Redis db of its own (so a `make bench` may
run meanwhile), and the bench's own request lists (bench.endpoints), sent through Django's WSGI
handler as gunicorn would call it. Prints CPU milliseconds per request (process time, the robust
measure on a busy machine), wall milliseconds, and a cProfile top list. No wrk, no sockets: the
numbers are the application's share of what `make bench` measures, not a replacement for it.

    python -m bench.profile channels_list channel_detail --requests 2000 --top 30 --sort tottime
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

os.environ.setdefault("BENCH_DB_URL", "postgres://postgres@127.0.0.1:5432/ytempire_profile_bench")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _environ(spec, *, host: str = "127.0.0.1") -> dict:
    from wsgiref.util import setup_testing_defaults

    path, _, query = spec.path.partition("?")
    body = spec.body or b""
    environ = {
        "REQUEST_METHOD": spec.method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "18700",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": "ytempire-bench",
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in spec.headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    if spec.body is not None:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    setup_testing_defaults(environ)
    return environ


def _call(app, spec) -> tuple[int, bytes]:
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(int(line.split(" ", 1)[0]))

    result = app(_environ(spec), start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0], body


def _run(app, ep, start: int, n: int) -> None:
    for i in range(start, start + n):
        code, body = _call(app, ep.spec(i))
        if not 200 <= code < 300:
            raise SystemExit(f"{ep.key}: request {i} answered {code}: {body[:300]!r}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    p.add_argument("endpoints", nargs="+", help="bench endpoint keys (channels_list, health, ...)")
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--top", type=int, default=30, help="profile lines to print (0: no profile)")
    p.add_argument("--sort", default="cumulative", help="cumulative or tottime")
    p.add_argument("--repeat", type=int, default=3, help="timed runs; the minimum is reported")
    p.add_argument("--cpu", action="store_true", help="profile by CPU time (default: wall time)")
    p.add_argument("--show", action="store_true", help="print one response body")
    args = p.parse_args(argv)

    from .run import _analytics_path, _configure_environment, _load_users
    from .run import _arguments as bench_arguments

    bench_args = bench_arguments([])
    _configure_environment(bench_args)
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from . import database, endpoints
    from .run import LOG_DIR, _log_to_file
    from .seed import SeedParams

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _log_to_file(LOG_DIR / "profile.log")
    params = SeedParams(
        users=bench_args.users, channels=bench_args.channels, videos=bench_args.videos, days=bench_args.days
    )
    info = database.ensure_seeded(params)
    database.reset_run_artifacts(seeded_at=info["seeded_at"])
    database.flush_redis()

    from videos.models import Video

    users = _load_users()
    processing = list(Video.objects.filter(status="processing").values_list("pk", flat=True))
    every = {
        ep.key: ep
        for ep in endpoints.build(
            users=users,
            processing_video_ids=processing,
            webhook_secret=settings.N8N_WEBHOOK_SECRET,
            analytics_path=_analytics_path(),
        )
    }
    app = WSGIHandler()
    for key in args.endpoints:
        ep = every[key]
        if args.show:
            _out(_call(app, ep.spec(0))[1].decode()[:2000])
        _run(app, ep, 0, args.warmup)
        cpu, wall = [], []
        for r in range(args.repeat):
            c0, w0 = time.process_time(), time.perf_counter()
            _run(app, ep, args.warmup + r * args.requests, args.requests)
            cpu.append((time.process_time() - c0) * 1000 / args.requests)
            wall.append((time.perf_counter() - w0) * 1000 / args.requests)
        _out(
            f"{key:20s} CPU ms/request min {min(cpu):.3f} (runs {', '.join(f'{x:.3f}' for x in cpu)}); "
            f"wall ms/request min {min(wall):.3f}"
        )
        if args.top:
            profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
            profiler.enable()
            _run(app, ep, args.warmup + args.repeat * args.requests, args.requests)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
            _out(out.getvalue())
        sys.stdout.flush()
    database.reset_run_artifacts(seeded_at=info["seeded_at"])
    database.flush_redis()


if __name__ == "__main__":
    main()
