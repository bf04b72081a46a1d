"""The report as a table (stdout and the run's report.txt)."""


def render_table(report: dict) -> str:
    r = report
    v, a, c, s, y = r["videos"], r["automation"], r["cost_per_video"], r["spend"], r["youtube"]
    lines = []

    def row(label, value):
        lines.append(f"  {label:<44} {value}")

    lines.append(
        f"Simulated day {r['run']['id']}  (seed {r['run']['seed']}, {r['run']['simulated_start']} -> "
        f"{r['run']['simulated_end']}, x{r['run']['speed']:.0f})"
    )
    p = r["population"]
    lines.append(
        f"  {p['channels']} channels ({p['connected_channels']} connected), {p['users']} users, "
        f"{p['accounts']} accounts ({p['reserve_accounts']} reserve), {p['projects']} projects"
    )
    lines.append("Videos")
    row("queued", f"{v['queued']} ({v['queued_by_automation']} by automation)")
    row("published", v["published"])
    row("waiting (by reason)", f"{v['waiting']} {v['waiting_by_reason'] or ''}")
    row("failed (by reason)", f"{v['failed']} {v['failed_by_reason'] or ''}")
    row("cancelled by cost", v["cancelled_by_cost"])
    row("lost", v["lost"])
    lines.append("Automation")
    row("published with no staff action", a["published_without_staff"])
    row("what capacity allowed (owed)", f"{a['capacity_allowed']} ({a['owed']})")
    row("automation rate", f"{a['rate']:.2%}" if a["rate"] is not None else "n/a")
    lines.append("Cost per video (published)")
    row("mean / p95 / max", f"${c['mean']} / ${c['p95']} / ${c['max']}  (target $1.00, limit $3.00)")
    row("over $1.00 / over $3.00 (any video)", f"{c['over_target_1_00']} / {c['over_limit_3_00']}")
    lines.append("Estimate accuracy (actual / estimate; estimate revised once the script is written)")
    for level, acc in r["estimate_accuracy"]["levels"].items():
        if acc.get("videos"):
            row(
                level,
                f"n={acc['videos']} p50={acc['p50']} p5..p95={acc['p5']}..{acc['p95']} "
                f"in [0.7,1.0]: {acc['within_0_7_1_0']}  (est ${acc['estimate_p50']} vs ${acc['actual_p50']})",
            )
            quote = acc.get("quote") or {}
            if quote.get("videos"):
                row(
                    "  quote at queue time",
                    f"p50={quote['p50']} p5..p95={quote['p5']}..{quote['p95']} in [0.7,1.0]: {quote['within_0_7_1_0']}",
                )
        else:
            row(level, "no published video")
    cal = r["estimate_accuracy"]["calibrated_videos"]
    row(
        "calibrated estimates",
        f"n={cal.get('videos', 0)} p5..p95={cal.get('p5', '-')}..{cal.get('p95', '-')} "
        f"in [0.7,1.0]: {cal.get('within_0_7_1_0', '-')}",
    )
    lines.append("Spend")
    row("by budget day (budget $150.00)", ", ".join(f"{d}: ${t}" for d, t in s["by_budget_day"].items()))
    row(
        "holds open at the end",
        f"${s['holds_open_at_end']} ({s['holds_open_count']} holds; "
        f"Redis day reserved ${s['redis_day_reserved_at_end']})",
    )
    lines.append("YouTube")
    row("uploads (max per channel per Pacific day)", f"{y['uploads']} ({y['max_uploads_per_channel_day']})")
    row(
        "channels over their cap / projects over limit",
        f"{len(y['channels_over_configured_cap'])} / {len(y['projects_over_upload_limit'])}",
    )
    row("uploads per project per Pacific day", ", ".join(f"{k}: {n}" for k, n in y["uploads_per_project_day"].items()))
    row(
        "on another channel / twice / unknown",
        f"{len(y['cross_channel_uploads'])} / {len(y['double_uploads'])} / {len(y['uploads_with_unknown_marker'])}",
    )
    row("quota errors that failed a video", len(y["quota_errors_reaching_a_video"]))
    row("on YouTube but not published in the app", len(y.get("on_youtube_not_published_in_the_app", [])))
    t = r["time_to_publish_minutes"]
    row("queued -> published p50 / p95 (sim min)", f"{t['p50']} / {t['p95']}")
    row("retries per step", r["retries_per_step"] or "none")
    lines.append("Cost of growth")
    w = r["run"]["wall_seconds"]
    row(
        "wall seconds (setup / day / drain / total)",
        f"{w.get('setup')} / {w.get('day')} / {w.get('drain')} / {w.get('total')}",
    )
    sl = r["slowest_step"]
    if sl.get("task"):
        row(
            "slowest step (p95 / max real ms)",
            f"{sl['task']} {sl['real_ms_p95']} / {sl['real_ms_max']} ({sl['queries_mean']} queries)",
        )
    for name, step in r["steps"].items():
        row(
            f"  {name}",
            f"{step['runs']} runs, p50 {step['real_ms_p50']} ms, p95 {step['real_ms_p95']} ms, "
            f"{step['queries_mean']} queries, largest result {step['max_rows_one_query']} rows",
        )
    scans = r.get("sequential_scans") or []
    per_video = [item for item in scans if item["per_video_path"]]
    row("whole-table scans (EXPLAIN, per video / other)", f"{len(per_video)} / {len(scans) - len(per_video)}")
    for item in scans[:6]:
        row(
            f"  {item['task']} x{item['executions']} ({item['per_run']}/run)",
            f"{', '.join(item['tables'])}: {item['sql'][:70]}",
        )
    f = r["faults"]
    lines.append("Faults injected")
    row("per provider", f.get("injected") or "none")
    row("world", f.get("world") or "none")
    row("processes", f.get("processes") or "none")
    lines.append("Musts")
    for name, ok in r["musts"].items():
        lines.append(f"  [{'PASS' if ok else 'FAIL'}] {name}")
    return "\n".join(lines)
