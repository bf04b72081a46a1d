"""The HTTP measurements: check, warm up, count queries, interleaved wrk rounds, open-loop load."""

from __future__ import annotations

import math
import os
import resource
import statistics
from pathlib import Path

from . import wrk
from .console import say
from .http import render, send
from .openloop import open_loop
from .server import CLOCK_TICKS, Server, machine_busy_ticks

HOST = "127.0.0.1"
QUERY_SAMPLES = 5


def start_servers(*, port: int, log_dir: Path) -> dict[str, Server]:
    """The production-like server, and the same without metrics and logging (B ÷ B bare)."""
    base = {k: v for k, v in os.environ.items() if k != "BENCH_OBSERVABILITY"}
    servers = {
        "main": Server(name="main", port=port, env=base, log_dir=log_dir, request_log=True),
        "bare": Server(
            name="bare", port=port + 1, env={**base, "BENCH_OBSERVABILITY": "off"}, log_dir=log_dir, request_log=False
        ),
    }
    try:
        for server in servers.values():
            server.start()
    except Exception:
        for server in servers.values():
            server.stop()
        raise
    return servers


def _pool_size(ep, rps_guess: float, seconds: float) -> int:
    """Webhook deliveries pre-signed for one wrk run: three times what it could send."""
    return max(2000, math.ceil(rps_guess * seconds * 3))


def _write(ep, path: Path, count: int | None = None) -> None:
    n = count if ep.factory else len(ep.specs)
    wrk.write_requests(path, [render(ep.spec(i), host=HOST) for i in range(n)])


def _check(ep, server: Server, failures: list[str]) -> None:
    response = send(HOST, server.port, render(ep.spec(0), host=HOST))
    if not 200 <= response.status < 300:
        failures.append(f"{ep.key}: first request answered {response.status}: {response.body[:300]!r}")


def _count_queries(ep, server: Server) -> list[int]:
    counts = []
    for i in range(QUERY_SAMPLES):
        response = send(HOST, server.port, render(ep.spec(i), host=HOST, extra_headers={"X-Bench-Count-Queries": "1"}))
        if 200 <= response.status < 300 and "x-bench-queries" in response.headers:
            counts.append(int(response.headers["x-bench-queries"]))
    return counts


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
    return usage.ru_utime + usage.ru_stime


def _wrk_once(ep, server: Server, *, seconds: float, args, path: Path, guess: float) -> dict:
    if ep.factory:
        _write(ep, path, _pool_size(ep, guess, seconds))
    snap = server.snapshot()
    busy0 = machine_busy_ticks()
    children0 = _children_cpu_seconds()
    result = wrk.run(
        url=f"http://{HOST}:{server.port}/", requests_file=path, seconds=seconds, connections=args.connections
    )
    wrk_cpu = _children_cpu_seconds() - children0
    settle = server.wait_idle()
    busy1 = machine_busy_ticks()
    workers = tuple(server.workers())
    cpu_ms = server.cpu_ms(snap.workers) - snap.cpu_ms
    served, statuses = server.requests_since(snap)
    counted = served if server.request_log is not None else result.requests
    # A password hash takes ~0.25 s of CPU: a few seconds of wrk complete few requests and the 100
    # in flight are served after it stops. For such endpoints the rate is what the server served
    # from the start until idle (the same method for login and the hash view they are compared by).
    busy_seconds = result.seconds + max(0.0, settle - server.IDLE_DETECTION_SECONDS)
    rps = counted / busy_seconds if ep.slow and server.request_log is not None else result.rps
    return {
        "rps": rps,
        "rps_method": "served until idle" if ep.slow and server.request_log is not None else "wrk",
        "wrk_rps": result.rps,
        "requests": result.requests,
        "served": counted,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "non_2xx_3xx": result.non_2xx_3xx,
        "socket_errors": result.socket_errors,
        "wrapped": result.wrapped,
        "cpu_ms_per_request": cpu_ms / counted if counted else None,
        "machine_busy": round((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]), 3),
        # CPU the machine spent on anything but these workers and wrk (PostgreSQL, Redis, and
        # whatever else runs on the machine), as a share of all CPUs over the run.
        "other_cpu_share": round(
            max(0.0, (busy1[0] - busy0[0]) / CLOCK_TICKS - cpu_ms / 1000 - wrk_cpu)
            / max(1e-9, (busy1[1] - busy0[1]) / CLOCK_TICKS),
            3,
        ),
        "settle_seconds": round(settle, 2),
        "workers_changed": workers != snap.workers,
    }


def _round_failures(ep, run: dict) -> list[str]:
    problems = []
    bad = {s: n for s, n in run["statuses"].items() if not s.startswith("2")}
    if bad or run["non_2xx_3xx"]:
        problems.append(f"{ep.key}: non-2xx answers {bad or run['non_2xx_3xx']}")
    if run["socket_errors"]:
        problems.append(f"{ep.key}: socket errors {run['socket_errors']}")
    if ep.factory and run["wrapped"]:
        problems.append(f"{ep.key}: webhook ids reused ({run['wrapped']} wraps of the pre-signed pool)")
    if run["workers_changed"]:
        problems.append(f"{ep.key}: a gunicorn worker was replaced during the round (timeout or crash)")
    return problems


def _units(eps) -> list[list]:
    """What rotates in a round: each endpoint alone, except login and the hash view it is compared
    with, which always run back to back. B is not rotated: it brackets the others."""
    keys = {ep.key: ep for ep in eps}
    units = [[ep] for ep in eps if ep.key not in ("B", "login", "hash")]
    if "login" in keys and "hash" in keys:
        units.append([keys["login"], keys["hash"]])
    elif "hash" in keys:
        units.append([keys["hash"]])
    return units


def _bracketed(baseline, units: list[list]) -> list:
    """B, two units, B, two units, ..., B: every endpoint is measured next to a B run on each side,
    so its ratio to B compares measurements seconds apart, not a round apart (other load on the
    machine drifts)."""
    sequence = [baseline]
    for k, unit in enumerate(units):
        sequence.extend(unit)
        if k % 2 == 1 or k == len(units) - 1:
            sequence.append(baseline)
    return sequence


def _b_reference(run: dict) -> dict:
    return {"rps": run["rps"], "cpu_ms_per_request": run["cpu_ms_per_request"]}


def measure_http(eps, *, servers: dict[str, Server], args, tmp: Path, failures: list[str]) -> dict:
    files = {ep.key: tmp / f"{ep.key}.req" for ep in eps}
    for ep in eps:
        if not ep.factory:
            _write(ep, files[ep.key])
    say("checking every endpoint once ...")
    for ep in eps:
        _check(ep, servers[ep.server], failures)
    if failures:
        return {}
    out: dict = {ep.key: {"rounds": []} for ep in eps}
    say(f"warming up ({args.warmup:.0f}s each) and counting queries ...")
    guess: dict[str, float] = {}
    for ep in eps:
        server = servers[ep.server]
        server.wait_idle()
        warm = _wrk_once(ep, server, seconds=args.warmup, args=args, path=files[ep.key], guess=2000)
        guess[ep.key] = warm["rps"]
        failures.extend(_round_failures(ep, warm))
        out[ep.key]["queries"] = _count_queries(ep, server)

    baseline = next(ep for ep in eps if ep.key == "B")
    for r in range(args.rounds):
        units = _units(eps)
        units = units[r % len(units) :] + units[: r % len(units)]
        sequence = _bracketed(baseline, units)
        say(f"round {r + 1}/{args.rounds}: " + " ".join(ep.key for ep in sequence))
        previous_b = None
        pending: list[dict] = []  # runs waiting for the B run after them
        for ep in sequence:
            for server in servers.values():
                server.wait_idle()
            run = _wrk_once(
                ep, servers[ep.server], seconds=args.seconds, args=args, path=files[ep.key], guess=guess[ep.key]
            )
            run["round"] = r + 1
            failures.extend(_round_failures(ep, run))
            out[ep.key]["rounds"].append(run)
            if ep.key == "B":
                for waiting in pending:
                    waiting["b_after"] = _b_reference(run)
                pending = []
                previous_b = run
            else:
                run["b_before"] = _b_reference(previous_b) if previous_b else None
                pending.append(run)
                if ep.key == "hash" and out.get("login", {}).get("rounds"):
                    login = out["login"]["rounds"][-1]
                    if login.get("round") == r + 1:
                        login["pair"] = {"rps": run["rps"], "cpu_ms_per_request": run["cpu_ms_per_request"]}

    if not args.skip_open_loop:
        hash_rps = [run["rps"] for run in out.get("hash", {}).get("rounds", [])]
        # A third of what the hash view served under wrk: room for the other load on the machine.
        slow_rate = max(1.0, math.floor(statistics.median(hash_rps) / 3)) if hash_rps else 1.0
        for ep in eps:
            if not ep.open_loop:
                continue
            rate = min(args.open_rate, slow_rate) if ep.slow else args.open_rate
            server = servers[ep.server]
            for s in servers.values():
                s.wait_idle()
            say(f"open loop: {ep.key} at {rate:g} req/s for {args.open_seconds:g}s")
            result = open_loop(
                HOST,
                server.port,
                lambda i, ep=ep: render(ep.spec(1_000_000 + i), host=HOST),
                rate=rate,
                seconds=args.open_seconds,
                drain=args.drain,
            )
            out[ep.key]["open_loop"] = result.as_dict()
            if result.non_2xx or result.errors:
                failures.append(
                    f"{ep.key}: open loop non-2xx {result.statuses} errors {result.errors} {result.bad_examples}"
                )
    return out
