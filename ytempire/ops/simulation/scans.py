"""Whole-table reads: every SELECT the app ran, EXPLAINed on the day's data, and the tables' own
scan counters."""

import json
from datetime import datetime
from decimal import Decimal

from django.db import connection

SCANNED_TABLES = ("videos", "channels", "video_events", "youtube_accounts", "video_costs", "cost_reservations")
PER_VIDEO = ("step_", "video-complete", "progress", "cost-alert")


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        return {
            "$uuid": lambda: __import__("uuid").UUID(raw),
            "$dt": lambda: datetime.fromisoformat(raw),
            "$date": lambda: datetime.fromisoformat(raw).date(),
            "$dec": lambda: Decimal(raw),
        }.get(tag, lambda: value)()
    return value


def _seq_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in SCANNED_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found.extend(_seq_scans(child))
    return found


def sequential_scans(rows: list[dict], runs: dict) -> list[dict]:
    """Every SELECT the app ran, EXPLAINed on the day's final data (after ANALYZE): those whose plan
    reads a whole table of the pipeline's (videos, channels...) sequentially, with how often they ran
    (per run of their task or request: more than once per run in a per-video task is a scan per video)."""
    totals: dict = {}
    for row in rows:
        if row.get("event") != "sql":
            continue
        key = (row["task"], row["sql"])
        per_pid = totals.setdefault(key, {"params": row["params"], "pids": {}})
        per_pid["pids"][row["pid"]] = max(per_pid["pids"].get(row["pid"], 0), row["count"])
    with connection.cursor() as cursor:
        for table in SCANNED_TABLES:
            cursor.execute(f"ANALYZE {table}")
        # On small tables the planner reads sequentially by choice; with sequential scans priced out
        # it takes any index that applies, so a Seq Scan left in the plan has no index to use.
        cursor.execute("SET enable_seqscan = off")
    found = []
    for (task, sql), data in totals.items():
        if data["params"] is None or not any(t in sql for t in SCANNED_TABLES):
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql, _decode(data["params"]))
                plan = cursor.fetchone()[0]
        except Exception:  # noqa: BLE001 - a query that cannot be re-planned is left out
            connection.rollback() if not connection.get_autocommit() else None
            continue
        plan = plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"]
        tables = _seq_scans(plan)
        if not tables:
            continue
        count = sum(data["pids"].values())
        found.append(
            {
                "task": task,
                "tables": sorted(set(tables)),
                "executions": count,
                "per_run": round(count / max(1, runs.get(task, 0)), 2) if runs.get(task) else None,
                "per_video_path": task.startswith(PER_VIDEO),
                "sql": sql[:300],
            }
        )
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")
    return sorted(found, key=lambda item: (-item["per_video_path"], -item["executions"]))


def table_scans() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_scan, seq_tup_read, idx_scan, n_live_tup FROM pg_stat_user_tables "
            "WHERE relname IN ('videos', 'channels', 'video_events', 'youtube_accounts', 'video_costs', "
            "'cost_reservations', 'channel_events') ORDER BY relname"
        )
        return {
            name: {"seq_scan": seq, "seq_tup_read": read, "idx_scan": idx or 0, "rows": live}
            for name, seq, read, idx, live in cursor.fetchall()
        }
