"""The report of a simulated day: every metric of issue 15, the musts, and how they were measured.

Truth comes from both sides: the database (what the platform believes: videos, events, ledger,
holds) and the fakes (what the world saw: every upload YouTube accepted, on which channel, with
which marker; each project's usage per Pacific day; the faults injected). Where they disagree
(a video uploaded twice, onto another channel, or a quota error that failed a video) a must fails.
The automation rate's denominator is in ``capacity``; the whole-table scan check in ``scans``;
the table printed on stdout in ``table``.
"""

import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.db.models import Sum

from costs.models import Reservation, VideoCost
from costs.selectors import cost_budget_status
from videos.models import ACTIVE_STATUSES, Video, VideoEvent, VideoStatus

from .capacity import Capacity, bindings_of
from .scans import sequential_scans, table_scans

S = VideoStatus
TARGET = Decimal("1.00")
LIMIT = Decimal("3.00")
DAILY_BUDGET = Decimal("150.00")
AUTOMATION_MUST = 0.99
STEP_TASKS = ("step_start_task", "step_script_task", "step_voice_task", "step_render_task", "step_upload_task")


def pct(values, q: float):
    """Nearest-rank percentile (a value that occurred)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.4f}"


def _dt(raw) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)


def _reason(message: str) -> str:
    """A failure message without ids and amounts, to group by."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}", "<id>", message or "(none)")
    text = re.sub(r"\$?\d+(\.\d+)?", "N", text)
    return text[:140]


def _wait_reason(video: dict) -> str | None:
    """Why an unfinished video waits: its current wait, or, between the end of a wait and the step
    that looks again (a needs-reconnect recheck in flight), the reason it is still waiting for
    (``waiting_for``, which the pipeline clears only when the video moves on)."""
    state = (video["metadata"] or {}).get("pipeline") or {}
    wait = state.get("wait")
    if wait:
        return wait.get("reason")
    return f"{state['waiting_for']} (rechecking)" if state.get("waiting_for") else None


# --- The report ---------------------------------------------------------------------------------------


def _quote(video: dict) -> Decimal | None:
    """The estimate the video was queued with (per service in metadata["estimate"])."""
    estimate = (video["metadata"] or {}).get("estimate") or {}
    return sum((Decimal(str(value)) for value in estimate.values()), Decimal(0)) if estimate else None


def _quote_basis(video: dict, bounds: dict, level: str) -> str:
    """Whether the video's quote (per service, at queue time) was the rate table's bound or learned."""
    estimate = (video["metadata"] or {}).get("estimate") or {}
    level_bounds = bounds.get(level)
    if not estimate or not level_bounds:
        return "unknown"
    same = [Decimal(str(estimate.get(s, "-1"))) == b for s, b in level_bounds.items() if s in estimate]
    if same and all(same):
        return "rate table"
    if same and not any(same):
        return "ledger"
    return "mixed" if same else "unknown"


def _revised_basis(video: dict) -> str:
    """How the video's estimate was revised once its script was written: "calibrated" when its
    rendering came from the learned spend per script word, "rate table" before that."""
    revised = (video["metadata"] or {}).get("estimate_revised")
    if not revised:
        return "not revised"
    return "calibrated" if revised["basis"].get("rendering") == "ledger_p95_per_word" else "rate table"


def _rate_bounds() -> dict:
    try:
        from costs.services import rate_table
        from costs.services.pricing import LEVELS, level_rate_bounds
    except ImportError:
        return {}
    rates = rate_table()
    return {level: level_rate_bounds(level=level, rates=rates) for level in LEVELS}


def _ratio_summary(pairs) -> dict:
    ratios = [float(actual / estimate) for actual, estimate in pairs if estimate and estimate > 0]
    if not ratios:
        return {"videos": 0}
    within = sum(1 for r in ratios if 0.7 <= r <= 1.0)
    return {
        "videos": len(ratios),
        "mean": round(statistics.fmean(ratios), 3),
        "p5": round(pct(ratios, 0.05), 3),
        "p50": round(pct(ratios, 0.5), 3),
        "p95": round(pct(ratios, 0.95), 3),
        "within_0_7_1_0": f"{within}/{len(ratios)}",
        "within_share": round(within / len(ratios), 3),
    }


def _read_stats(run_dir: Path) -> list[dict]:
    rows = []
    for path in sorted((run_dir / "stats").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # a line cut by SIGKILL
    return rows


def _task_table(rows: list[dict]) -> dict:
    table = {}
    by_task = defaultdict(list)
    for row in rows:
        if row.get("event") == "task":
            by_task[row["task"]].append(row)
    for task, items in sorted(by_task.items()):
        ms = [r["real_ms"] for r in items]
        heaviest = max(items, key=lambda r: r.get("max_rows") or 0)
        table[task] = {
            "runs": len(items),
            "real_ms_p50": round(pct(ms, 0.5), 1),
            "real_ms_p95": round(pct(ms, 0.95), 1),
            "real_ms_max": round(max(ms), 1),
            "queries_mean": round(statistics.fmean(r["queries"] for r in items), 1),
            "queries_max": max(r["queries"] for r in items),
            "max_rows_one_query": heaviest.get("max_rows") or 0,
            "max_rows_sql": (heaviest.get("max_rows_sql") or "")[:240],
        }
    return table


def build_report(run) -> dict:
    """``run`` is the coordinator (harness.Run): config, population, fakes, truth, timings."""
    config, population, truth = run.config, run.population, run.truth
    start, end, sim_end = run.start, run.end, run.sim_end
    videos = list(
        Video.objects.values(
            "id",
            "channel_id",
            "status",
            "optimization_level",
            "estimated_cost",
            "total_cost",
            "metadata",
            "error_message",
            "queued_at",
            "created_at",
            "processing_completed_at",
            "published_at",
            "youtube_video_id",
            "youtube_account_used_id",
        )
    )
    by_id = {str(v["id"]): v for v in videos}
    staff_touched = {
        str(vid) for vid in VideoEvent.objects.filter(data__staff=True).values_list("video_id", flat=True).distinct()
    } | {str(v["id"]) for v in videos if (v["metadata"] or {}).get("queued_by") == "staff"}
    published = [v for v in videos if v["status"] == S.PUBLISHED]
    active = [v for v in videos if v["status"] in ACTIVE_STATUSES]
    waiting = [v for v in active if _wait_reason(v)]
    lost = [v for v in active if v not in waiting]
    failed = [v for v in videos if v["status"] == S.FAILED]
    cancelled = [v for v in videos if v["status"] == S.CANCELLED]
    by_cost = [v for v in cancelled if (v["error_message"] or "").startswith("Cost limit exceeded")]

    # Costs.
    costs_published = [v["total_cost"] for v in published]
    all_costs = [v["total_cost"] for v in videos]
    spend_by_day = {
        str(row["budget_date"]): row["total"]
        for row in VideoCost.objects.values("budget_date").annotate(total=Sum("amount")).order_by("budget_date")
    }
    open_holds = Reservation.objects.filter(status="open").aggregate(total=Sum("amount"))["total"] or Decimal(0)
    open_count = Reservation.objects.filter(status="open").count()
    try:
        budget = cost_budget_status(at=sim_end)
        redis_reserved, budget_source = budget.day_reserved, budget.source
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        redis_reserved, budget_source = None, f"unavailable: {exc.__class__.__name__}"

    # Estimates, per the level the video was queued at (the cost policy may switch it to economy).
    bounds = _rate_bounds()
    original_level = {
        str(vid): (data or {}).get("optimization_level")
        for vid, data in VideoEvent.objects.filter(from_status="", to_status=S.QUEUED).values_list("video_id", "data")
    }
    accuracy = {}
    for level in ("economy", "standard", "premium"):
        rows = [v for v in published if original_level.get(str(v["id"]), v["optimization_level"]) == level]
        by_basis, quote_by_basis = defaultdict(list), defaultdict(list)
        for v in rows:
            by_basis[_revised_basis(v)].append((v["total_cost"], v["estimated_cost"]))
            quote_by_basis[_quote_basis(v, bounds, level)].append((v["total_cost"], _quote(v)))
        accuracy[level] = {
            **_ratio_summary([(v["total_cost"], v["estimated_cost"]) for v in rows]),
            "estimate_p50": _money(pct([v["estimated_cost"] for v in rows], 0.5)),
            "actual_p50": _money(pct([v["total_cost"] for v in rows], 0.5)),
            "by_basis": {basis: _ratio_summary(p) for basis, p in sorted(by_basis.items())},
            "quote": {
                **_ratio_summary([(v["total_cost"], _quote(v)) for v in rows]),
                "by_basis": {basis: _ratio_summary(p) for basis, p in sorted(quote_by_basis.items())},
            },
        }
    calibrated = [(v["total_cost"], v["estimated_cost"]) for v in published if _revised_basis(v) == "calibrated"]

    # YouTube's truth: uploads per channel and per project per Pacific day, doubles, wrong channels.
    uploads = list(run.youtube.uploads)
    midnights = run.midnights

    def slice_label(at: datetime) -> str:
        index = sum(1 for m in midnights if m <= at)
        return f"pacific-day-{index}"

    per_channel = Counter((u["youtube_channel_id"], slice_label(_dt(u["at"]))) for u in uploads)
    per_project = Counter((u["client_id"], slice_label(_dt(u["at"]))) for u in uploads)
    caps = {info["youtube_channel_id"]: int(info["cap"]) for info in population.accounts.values()}
    over_cap = [
        {"youtube_channel_id": y, "day": d, "uploads": n, "cap": caps.get(y)}
        for (y, d), n in per_channel.items()
        if n > caps.get(y, 0)
    ]
    project_limits = {cid: data["limits"]["uploads"] for cid, data in run.youtube.snapshot()["projects"].items()}
    over_bucket = [
        {"project": p, "day": d, "uploads": n, "limit": project_limits.get(p)}
        for (p, d), n in per_project.items()
        if n > project_limits.get(p, 100)
    ]
    markers = Counter(u["marker"] for u in uploads)
    doubles = {m: n for m, n in markers.items() if n > 1}
    marker_to_video = {f"ytempire-{vid.replace('-', '')}": vid for vid in by_id}
    bindings = bindings_of(
        sorted({str(v["channel_id"]) for v in videos} | set(population.bound)), start=start, end=sim_end
    )
    cross, unknown = [], []
    for upload in uploads:
        video_id = marker_to_video.get(upload["marker"])
        if video_id is None:
            unknown.append(upload)
            continue
        own = {y for _, _, y in bindings.get(str(by_id[video_id]["channel_id"]), [])}
        if upload["youtube_channel_id"] not in own:
            cross.append({"video_id": video_id, **upload})
    published_ids = {str(v["id"]) for v in published}
    not_recorded = [
        {"video_id": marker_to_video[u["marker"]], "status": by_id[marker_to_video[u["marker"]]]["status"], **u}
        for u in uploads
        if u["marker"] in marker_to_video and marker_to_video[u["marker"]] not in published_ids
    ]
    quota_failures = [
        v for v in failed if re.search(r"quota|uploadlimit|upload limit", v["error_message"] or "", re.IGNORECASE)
    ]

    # Automation against what capacity allowed.
    real_caps = {cid: data["upload_cap"] for cid, data in run.youtube.snapshot()["channels"].items()}
    capacity = Capacity(
        population=population, truth=truth, start=start, end=sim_end, midnights=midnights, real_caps=real_caps
    )
    ready_latency = [
        (v["processing_completed_at"] - v["queued_at"]).total_seconds()
        for v in videos
        if v["processing_completed_at"] and v["queued_at"]
    ]
    latency = timedelta(seconds=pct(ready_latency, 0.5) or 600)
    per_channel_videos = defaultdict(list)
    for v in sorted(videos, key=lambda v: v["created_at"]):
        per_channel_videos[str(v["channel_id"])].append(v)
    allowed_total, owed_total, channel_rows = 0, 0, []
    for channel_id, owed in sorted(population.owed.items()):
        made = per_channel_videos.get(channel_id, [])[:owed]
        arrivals = [v["processing_completed_at"] or (v["created_at"] + latency) for v in made]
        for k in range(len(made), owed):
            due = max(0.0, k * 86400 / owed - 900)
            arrivals.append(start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(seconds=due) + latency)
        arrivals = [max(a, start) for a in arrivals]
        allowed = capacity.allowed(bindings.get(channel_id, []), arrivals)
        done = sum(1 for v in made if v["status"] == S.PUBLISHED and str(v["id"]) not in staff_touched)
        allowed_total += allowed
        owed_total += owed
        channel_rows.append({"channel_id": channel_id, "owed": owed, "allowed": allowed, "published": done})
    published_automation = sum(
        1
        for v in published
        if (v["metadata"] or {}).get("source") == "automation" and str(v["id"]) not in staff_touched
    )
    automation_rate = published_automation / allowed_total if allowed_total else None

    # Time to publish, retries, processes.
    to_publish = [(v["published_at"] - v["queued_at"]).total_seconds() / 60 for v in published if v["published_at"]]
    stats_rows = _read_stats(run.run_dir)
    retries = Counter(r["task"] for r in stats_rows if r.get("event") == "retry")
    retry_reasons = Counter(
        f"{r['task']}: {_reason(r.get('reason', ''))[:90]}" for r in stats_rows if r.get("event") == "retry"
    )
    tasks = _task_table(stats_rows)
    steps = {name: row for name, row in tasks.items() if name in STEP_TASKS}
    slowest = max(steps.items(), key=lambda item: item[1]["real_ms_p95"], default=(None, None))
    web = [r for r in stats_rows if r.get("event") == "request"]
    web_by_path = defaultdict(list)
    for r in web:
        web_by_path[re.sub(r"[0-9a-f-]{36}", "<id>", r["path"])].append(r)
    web_table = {
        path: {
            "requests": len(items),
            "real_ms_p50": round(pct([r["real_ms"] for r in items], 0.5), 1),
            "real_ms_p95": round(pct([r["real_ms"] for r in items], 0.95), 1),
            "statuses": dict(Counter(str(r["status"]) for r in items)),
        }
        for path, items in sorted(web_by_path.items())
    }

    musts = {
        "automation >= 99% of what capacity allowed": automation_rate is not None
        and automation_rate >= AUTOMATION_MUST,
        "no video over $3.00": (max(all_costs) if all_costs else 0) <= LIMIT,
        "spend within $150 every budget day": all(total <= DAILY_BUDGET for total in spend_by_day.values()),
        "zero double uploads": not doubles,
        "zero lost videos": not lost,
        "zero cross-channel uploads": not cross and not unknown,
        "zero quota errors reaching a video": not quota_failures,
        "$0 held at the end": open_holds == 0 and (redis_reserved in (None, 0) or redis_reserved == Decimal(0)),
    }

    return {
        "run": {
            "id": run.run_id,
            "seed": config.seed,
            "options": run.options,
            "simulated_start": start.isoformat(),
            "simulated_day_end": end.isoformat(),
            "simulated_end": sim_end.isoformat(),
            "pacific_midnights": [m.astimezone(UTC).isoformat() for m in midnights],
            "speed": run.speed,
            "postgres_autovacuum": run.autovacuum,
            "analyze_runs_by_the_coordinator": run.analyzed,
            "wall_seconds": {k: round(v, 1) for k, v in run.timings.items()},
        },
        "population": {
            "users": population.users,
            "channels": population.channels,
            "connected_channels": len(population.bound),
            "accounts": len(population.accounts),
            "reserve_accounts": sum(1 for a in population.accounts.values() if a["reserve"]),
            "projects": len(population.projects),
            "owed_videos": owed_total,
            "upload_cap_surprise": population.surprise,
        },
        "videos": {
            "queued": len(videos),
            "queued_by_automation": sum(1 for v in videos if (v["metadata"] or {}).get("source") == "automation"),
            "published": len(published),
            "waiting": len(waiting),
            "waiting_by_reason": dict(Counter(_wait_reason(v) for v in waiting)),
            "failed": len(failed),
            "failed_by_reason": dict(Counter(_reason(v["error_message"]) for v in failed)),
            "cancelled_by_cost": len(by_cost),
            "cancelled_other": len(cancelled) - len(by_cost),
            "lost": len(lost),
            "lost_videos": [
                {"id": str(v["id"]), "status": v["status"], "pipeline": (v["metadata"] or {}).get("pipeline")}
                for v in lost[:20]
            ],
        },
        "automation": {
            "published_without_staff": published_automation,
            "owed": owed_total,
            "capacity_allowed": allowed_total,
            "rate": round(automation_rate, 4) if automation_rate is not None else None,
            "production_latency_minutes_p50": round(latency.total_seconds() / 60, 1),
            "channels": channel_rows,
        },
        "cost_per_video": {
            "published": len(costs_published),
            "mean": _money(statistics.fmean(costs_published)) if costs_published else None,
            "p95": _money(pct(costs_published, 0.95)),
            "max": _money(max(costs_published, default=None)),
            "max_any_video": _money(max(all_costs, default=None)),
            "over_target_1_00": sum(1 for c in costs_published if c > TARGET),
            "over_limit_3_00": sum(1 for c in all_costs if c > LIMIT),
        },
        "estimate_accuracy": {
            "levels": accuracy,
            "calibrated_videos": _ratio_summary(calibrated),
            "goal": "actual / estimate in [0.7, 1.0] for >= 95% of videos once calibrated",
            "estimate": (
                "the video's estimated_cost at the end: revised once its script was written (spent so far, "
                "the exact voice price, rendering per script word once calibrated); 'quote' is the estimate "
                "it was queued with (per level, p95 of recent videos)"
            ),
        },
        "spend": {
            "by_budget_day": {day: _money(total) for day, total in spend_by_day.items()},
            "daily_budget": _money(DAILY_BUDGET),
            "holds_open_at_end": _money(open_holds),
            "holds_open_count": open_count,
            "redis_day_reserved_at_end": _money(redis_reserved) if redis_reserved is not None else None,
            "budget_source": budget_source,
        },
        "youtube": {
            "uploads": len(uploads),
            "max_uploads_per_channel_day": max(per_channel.values(), default=0),
            "channels_over_configured_cap": over_cap,
            "uploads_per_project_day": {f"{p} {d}": n for (p, d), n in sorted(per_project.items())},
            "projects_over_upload_limit": over_bucket,
            "project_usage_at_resets": [e.detail for e in truth.of("youtube_day_usage")],
            "project_usage_at_end": run.youtube.snapshot()["projects"],
            "double_uploads": doubles,
            "cross_channel_uploads": cross,
            "uploads_with_unknown_marker": unknown,
            "on_youtube_not_published_in_the_app": not_recorded,
            "quota_errors_reaching_a_video": [
                {"id": str(v["id"]), "error": v["error_message"][:200]} for v in quota_failures
            ],
        },
        "time_to_publish_minutes": {
            "p50": round(pct(to_publish, 0.5), 1) if to_publish else None,
            "p95": round(pct(to_publish, 0.95), 1) if to_publish else None,
            "max": round(max(to_publish), 1) if to_publish else None,
        },
        "retries_per_step": dict(retries),
        "retry_reasons": dict(retry_reasons.most_common(15)),
        "steps": tasks,
        "slowest_step": {"task": slowest[0], **(slowest[1] or {})},
        "web": web_table,
        "table_scans": run.table_scans_delta(table_scans()),
        "sequential_scans": sequential_scans(
            stats_rows,
            {
                **{name: row["runs"] for name, row in tasks.items()},
                **{path.rsplit("/", 1)[-1]: row["requests"] for path, row in web_table.items()},
            },
        ),
        "faults": run.fault_summary(),
        "musts": {name: bool(ok) for name, ok in musts.items()},
        "all_musts_hold": all(musts.values()),
    }
