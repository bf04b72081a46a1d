"""The table (terminal, README) and bench/results/latest.json, each value next to its goal."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

SERVICE_GOALS = {
    "reservations": ("cost holds per second against Redis", "per_second", ">=", 5000),
    "booking": ("account booking p95, 50 concurrent workers (ms)", "p95_ms", "<=", 20),
    "automation": ("one automation pass (s)", "seconds", "<=", 2),
}


def _reference(run: dict, field: str, *, pair: bool) -> float | None:
    """The value ``run`` is compared with: its paired run (login: the hash view right after it), or
    the mean of the B runs just before and after it."""
    if pair:
        return (run.get("pair") or {}).get(field)
    values = [ref[field] for ref in (run.get("b_before"), run.get("b_after")) if ref and ref.get(field)]
    return sum(values) / len(values) if values else None


def _ratios(rounds: list[dict], *, pair: bool) -> list[float]:
    """Per run: rps / the reference's rps."""
    out = []
    for run in rounds:
        reference = _reference(run, "rps", pair=pair)
        if reference:
            out.append(run["rps"] / reference)
    return out


def _cpu_ratios(rounds: list[dict], *, pair: bool) -> list[float]:
    """Per run: the reference's worker CPU per request / this endpoint's (1.0: as cheap as it)."""
    out = []
    for run in rounds:
        reference = _reference(run, "cpu_ms_per_request", pair=pair)
        if reference and run.get("cpu_ms_per_request"):
            out.append(reference / run["cpu_ms_per_request"])
    return out


def _spread(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _met(value, op: str, goal) -> bool | None:
    if value is None or goal is None:
        return None
    return value >= goal if op == ">=" else value <= goal


def _machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version()}


def _versions() -> dict:
    from django.db import connection

    versions = {}
    try:
        import django
        import gunicorn

        versions.update(django=django.get_version(), gunicorn=gunicorn.__version__)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            versions["postgresql"] = cursor.fetchone()[0]
        connection.close()
        import redis
        from django.conf import settings

        versions["redis"] = redis.Redis.from_url(settings.REDIS_URL).info("server").get("redis_version")
        wrk_out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
        versions["wrk"] = (wrk_out.stdout or wrk_out.stderr).split("[")[0].strip()
    except Exception as exc:  # versions are informative only
        versions["error"] = str(exc)
    return versions


def _git() -> dict:
    root = Path(os.environ.get("BENCH_SOURCE_ROOT") or Path(__file__).resolve().parent.parent)

    def git(*args) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)  # noqa: S603,S607
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain").splitlines()),
    }


def _queued(row: dict | None) -> bool:
    """The open loop waited in line: its median answer took over twice the request's own CPU time."""
    if not row or not row.get("open_loop") or not row.get("cpu_ms_per_request"):
        return False
    return row["open_loop"]["saturated"] or row["open_loop"]["p50_ms"] > 2 * row["cpu_ms_per_request"]


def _mark_queued_comparisons(rows: list[dict]) -> None:
    """A p95 judged against another endpoint's (login against the hash view's) means something only
    when neither waited in line behind other load: otherwise say so instead of met / not met."""
    by_key = {row["key"]: row for row in rows}
    for row in rows:
        reference = row.get("p95_goal_reference")
        if reference and (_queued(row) or _queued(by_key.get(reference))):
            row["p95_met"] = None
            row["p95_goal_rule"] += "; not comparable: queued at the open-loop rate"


def build_document(*, args, seed_info, endpoints, results, failures, notes, runtime) -> dict:
    http = results.get("endpoints") or {}
    rows = []
    p95 = {key: (value.get("open_loop") or {}).get("p95_ms") for key, value in http.items()}
    for ep in endpoints:
        data = http.get(ep.key)
        if not data:
            continue
        rounds = data["rounds"]
        pair = ep.ratio_to != "B"
        compared = ep.key not in ("B", "B_bare")
        ratio = _spread(_ratios(rounds, pair=pair)) if compared else None
        cpu_ratio = _spread(_cpu_ratios(rounds, pair=pair)) if compared else None
        cpu = [r["cpu_ms_per_request"] for r in rounds if r["cpu_ms_per_request"] is not None]
        queries = data.get("queries") or []
        open_loop = data.get("open_loop")
        p95_goal = ep.goal_p95_ms
        if ep.goal_p95_vs and p95.get(ep.goal_p95_vs[0]) is not None:
            p95_goal = round(p95[ep.goal_p95_vs[0]] * ep.goal_p95_vs[1], 1)
        row = {
            "key": ep.key,
            "endpoint": ep.label,
            "rps": _spread([r["rps"] for r in rounds]),
            "ratio": ratio,
            "ratio_to": ep.ratio_to,
            "ratio_goal": ep.goal_ratio,
            "ratio_met": _met(ratio and ratio["median"], ">=", ep.goal_ratio),
            "cpu_ratio": cpu_ratio,
            "cpu_ms_per_request": round(statistics.median(cpu), 2) if cpu else None,
            "queries_per_request": statistics.median(queries) if queries else None,
            "queries_samples": queries,
            "open_loop": open_loop,
            "p95_goal_ms": p95_goal,
            "p95_goal_rule": f"<= {ep.goal_p95_vs[1]} x {ep.goal_p95_vs[0]} p95" if ep.goal_p95_vs else None,
            "p95_goal_reference": ep.goal_p95_vs[0] if ep.goal_p95_vs else None,
            "p95_met": (
                None
                if not open_loop or p95_goal is None
                else (not open_loop["saturated"] and open_loop["p95_ms"] <= p95_goal)
            ),
            "machine_busy": _spread([r["machine_busy"] for r in rounds]),
            "other_cpu_share": _spread([r["other_cpu_share"] for r in rounds]),
            "note": ep.note,
            "rounds": rounds,
        }
        rows.append(row)
    _mark_queued_comparisons(rows)
    bare = http.get("B_bare", {}).get("rounds", [])
    observability = _spread([1 / r for r in _ratios(bare, pair=False) if r])
    observability_cpu = _spread([1 / r for r in _cpu_ratios(bare, pair=False) if r])
    services = {}
    for name, value in (results.get("services") or {}).items():
        label, field, op, goal = SERVICE_GOALS[name]
        services[name] = {
            **value,
            "goal": f"{field} {op} {goal}",
            "met": _met(value.get(field), op, goal),
            "label": label,
        }
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": not failures,
        "failures": failures,
        "notes": notes,
        "runtime_seconds": round(runtime, 1),
        "settings": "ytempire.settings.bench (production + bench overrides)",
        "method": {
            "load": f"wrk -t1 -c{args.connections}, {args.rounds} rounds x {args.seconds:g}s per endpoint, "
            "rotated order",
            "ratio": "per run: endpoint rps / mean rps of the B runs just before and after it (login: / the "
            "hash view run right after it); median and min..max over the rounds",
            "cpu_ratio": "per run: B's worker CPU per request / the endpoint's (login: the hash view's / login's)",
            "cpu": "gunicorn workers' utime+stime from /proc/<pid>/stat over the run and until idle, "
            "divided by the requests the app's request lines recorded (wrk's count for the server without logging)",
            "queries": "SQL statements Django sent for one request, counted by bench.middleware (header-gated, "
            "5 sampled requests, median); psycopg's CONN_HEALTH_CHECKS 'SELECT 1' is not counted",
            "open_loop": f"{args.open_rate:g} req/s for {args.open_seconds:g}s, each request timed from when it was "
            "due (bench/openloop.py); login and the hash view at a third of the hash view's capacity",
        },
        "machine": _machine(),
        "versions": _versions(),
        "git": _git(),
        "seed": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in seed_info.items()},
        "endpoints": rows,
        "observability": {
            "label": "B with metrics and logging ÷ B without",
            "ratio": observability,
            "goal": 0.90,
            "met": _met(observability and observability["median"], ">=", 0.90),
            "cpu_ratio": observability_cpu,
        },
        "services": services,
        "cleanup": results.get("cleanup"),
    }


def _fmt(value, digits=2, suffix="") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value}{suffix}"


def _r(ratio: float) -> str:
    """A ratio with two significant digits below 0.1 (0.021), two decimals otherwise (0.40)."""
    return f"{ratio:.3f}" if ratio < 0.1 else f"{ratio:.2f}"


def _mark(met) -> str:
    return {True: "met", False: "NOT met", None: ""}[met]


def table(doc: dict) -> str:
    """Markdown: readable in a terminal, pasted as is into the README."""
    lines = [
        "| endpoint | rps | rps / B (min..max) | goal | | CPU ms/req | CPU B÷it | queries "
        "| p50 ms | p95 ms | p99 ms | p95 goal | |",
        "| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in doc["endpoints"]:
        ratio = row["ratio"]
        ratio_text = "1 (reference)" if row["key"] == "B" else "–"
        if ratio:
            ratio_text = f"{_r(ratio['median'])} ({_r(ratio['min'])}..{_r(ratio['max'])})"
            if row["ratio_to"] != "B":
                ratio_text += f" of {row['ratio_to']}"
        cpu_ratio = row.get("cpu_ratio")
        ol = row["open_loop"] or {}
        sat = " (saturated)" if ol.get("saturated") else ""
        rate = f" @{ol['rate']:g}/s" if ol and ol.get("rate") not in (None, 100.0) else ""
        p95_goal = "–"
        if row["p95_goal_ms"] is not None:
            p95_goal = f"≤ {row['p95_goal_ms']:g}" + (f" ({row['p95_goal_rule']})" if row["p95_goal_rule"] else "")
        lines.append(
            "| "
            + " | ".join(
                [
                    row["endpoint"],
                    _fmt(row["rps"] and row["rps"]["median"], 0),
                    ratio_text,
                    f"≥ {row['ratio_goal']:.2f}" if row["ratio_goal"] else "–",
                    _mark(row["ratio_met"]),
                    _fmt(row["cpu_ms_per_request"]),
                    _r(cpu_ratio["median"]) if cpu_ratio else "–",
                    _fmt(row["queries_per_request"]),
                    (_fmt(ol.get("p50_ms"), 1) + rate) if ol else "–",
                    (("≥ " if sat else "") + _fmt(ol.get("p95_ms"), 1) + sat) if ol else "–",
                    (("≥ " if sat else "") + _fmt(ol.get("p99_ms"), 1)) if ol else "–",
                    p95_goal,
                    _mark(row["p95_met"]),
                ]
            )
            + " |"
        )
    obs = doc["observability"]
    if obs["ratio"]:
        r = obs["ratio"]
        lines.append(
            f"| {obs['label']} | | {_r(r['median'])} ({_r(r['min'])}..{_r(r['max'])}) | ≥ 0.90 | {_mark(obs['met'])} "
            f"| | {_r(obs['cpu_ratio']['median']) if obs.get('cpu_ratio') else '–'} | | | | | | |"
        )
    if doc["services"]:
        lines += ["", "| service-level | measured | goal | |", "| --- | --- | --- | --- |"]
        for name, s in doc["services"].items():
            if name == "reservations":
                measured = (
                    f"{s['per_second']:,.0f}/s ({s['callers']}; p95 {s['p95_ms']} ms; refused {s['refused'] or 0})"
                )
            elif name == "booking":
                measured = (
                    f"p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms ({s['attempts']:,} attempts, "
                    f"{s['per_second']:,.0f}/s, {s['outcomes']})"
                )
            else:
                measured = (
                    f"{s['seconds']} s over {s['automated_channels']} automated channels, {s['videos_queued']} videos "
                    f"queued (dry run {s['dry_run_seconds']} s)"
                )
            lines.append(f"| {s['label']} | {measured} | {s['goal']} | {_mark(s['met'])} |")
    seed = doc["seed"]
    lines += [
        "",
        f"Data: {', '.join(f'{n:,} {t}' for t, n in (seed.get('rows') or {}).items())}. "
        f"{doc['method']['load']}; open loop {doc['method']['open_loop']}. "
        f"Machine: {doc['machine']['cpus']} CPUs ({doc['machine']['cpu_model']}); "
        f"run {doc['runtime_seconds'] / 60:.1f} min.",
    ]
    b_row = next((row for row in doc["endpoints"] if row["key"] == "B"), None)
    other = b_row and b_row.get("other_cpu_share")
    if other:
        lines.append(
            f"Other load during the B runs (CPU not used by the workers or wrk, share of all CPUs): median "
            f"{other['median']:.0%} ({other['min']:.0%}..{other['max']:.0%}); the wider it is, the noisier rps."
        )
    for note in doc["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def write(doc: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
