"""The simulated day, short: a few channels, two compressed hours around Pacific midnight, every
fault at least once, on the real stack (its own PostgreSQL database and Redis, a real Celery worker
and beat, the API on a WSGI server, the fake providers over HTTP). The musts of issue 15 must hold.

Two simulated hours, not one: automation runs every 15 simulated minutes and a process fault can
cost it a slot (a beat message sent while Redis is down, or expired while the worker restarts), so
an hour (three slots) can starve a channel for the whole window; two hours leave room to catch up.
"""

import json
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.slow]


def _simulation_database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}_sim_test"


def test_a_short_simulated_day_with_every_fault_keeps_every_must(tmp_path):
    report_path = tmp_path / "report.json"

    call_command(
        "simulate_day",
        "--channels=6",
        "--users=3",
        "--accounts=5",
        "--projects=2",
        "--videos-per-day=16",
        "--hours=2",
        "--day-seconds=288",
        "--drain-hours=1.5",
        "--kill-worker-every=12s",
        "--redis-outage=1.5s",
        "--redis-outage-at=0.3",
        f"--database-url={_simulation_database_url()}",
        f"--output-dir={tmp_path}",
        f"--json={report_path}",
        "--quiet",
    )

    report = json.loads(report_path.read_text())
    assert report["all_musts_hold"], report["musts"]
    assert report["videos"]["published"] >= 3
    assert report["videos"]["lost"] == 0
    # The window held a Pacific midnight, and YouTube's quota reset there.
    assert len(report["run"]["pacific_midnights"]) == 1
    assert report["faults"]["world"]["youtube_quota_reset"] == 1
    # Every fault happened at least once.
    injected = report["faults"]["injected"]
    for provider in ("openai", "tts", "n8n", "youtube"):
        assert injected.get(f"{provider}:error") and injected.get(f"{provider}:timeout"), (provider, injected)
    assert injected["n8n:silence"] and injected["n8n:duplicate"] and injected["youtube:final_chunk_answer_lost"]
    assert report["faults"]["world"]["revoked"] == 1 and report["faults"]["world"]["project_exhausted"] == 1
    assert report["population"]["upload_cap_surprise"]["real_cap"] == 0
    processes = report["faults"]["processes"]
    assert processes["worker_killed"] >= 1 and processes["redis_down"] == 1 and processes["redis_up"] == 1
    killed = [e for e in report["faults"]["process_events"] if e["kind"] == "worker_killed"]
    assert any(event["running"] for event in killed), killed  # a SIGKILL during a step
    # What the musts read, as the report states it.
    assert report["youtube"]["double_uploads"] == {} and report["youtube"]["cross_channel_uploads"] == []
    assert report["spend"]["holds_open_at_end"] == "0.0000"
    assert report["automation"]["rate"] >= 0.99
