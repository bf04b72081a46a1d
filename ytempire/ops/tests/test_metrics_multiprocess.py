"""prometheus_client's multiprocess mode: events observed in separate processes are summed by one scrape,
and the gunicorn hooks keep the shared directory honest (emptied at start, dead workers marked)."""

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from ytempire.ops.metrics import clear_multiprocess_dir

BASE_DIR = Path(django_settings.BASE_DIR)

# A process of the app, as a gunicorn or Celery worker is: Django set up with PROMETHEUS_MULTIPROC_DIR
# in its environment, recording through the app's own metric objects.
OBSERVE = """
import sys
import django

django.setup()
from costs import metrics
from videos.tasks import STEP_DURATION
from webhooks.services.events import DELIVERIES

cost, seconds = float(sys.argv[1]), float(sys.argv[2])
metrics.COST_PER_VIDEO.observe(cost)
STEP_DURATION.labels(step="script", outcome="done").observe(seconds)
DELIVERIES.labels(source="n8n", result="processed").inc()
metrics.RESERVATIONS_REFUSED.labels(reason="daily_budget").inc(2)
"""


def _observe_in_a_process(path: Path, cost: float, seconds: float) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(path), "DJANGO_SETTINGS_MODULE": "ytempire.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", OBSERVE, str(cost), str(seconds)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _samples(text: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_histogram_observed_in_two_processes_is_summed_by_one_scrape(client, staff_user, settings, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    _observe_in_a_process(shared, 0.75, 0.2)
    _observe_in_a_process(shared, 2.25, 7.0)
    assert len(list(shared.glob("histogram_*.db"))) == 2  # one file per process

    settings.PROMETHEUS_MULTIPROC_DIR = str(shared)
    client.force_login(staff_user)
    response = client.get("/api/v1/metrics")
    assert response.status_code == 200
    samples = _samples(response.content.decode())

    assert samples[("cost_per_video_dollars_count", ())] == 2
    assert samples[("cost_per_video_dollars_sum", ())] == pytest.approx(3.0)
    assert samples[("cost_per_video_dollars_bucket", (("le", "0.5"),))] == 0
    assert samples[("cost_per_video_dollars_bucket", (("le", "1.0"),))] == 1
    assert samples[("cost_per_video_dollars_bucket", (("le", "2.5"),))] == 2
    step = (("outcome", "done"), ("step", "script"))
    assert samples[("pipeline_step_duration_seconds_count", step)] == 2
    assert samples[("pipeline_step_duration_seconds_sum", step)] == pytest.approx(7.2)
    assert samples[("pipeline_step_duration_seconds_bucket", (("le", "0.25"), *step))] == 1
    assert samples[("pipeline_step_duration_seconds_bucket", (("le", "10.0"), *step))] == 2
    assert samples[("webhook_deliveries_total", (("result", "processed"), ("source", "n8n")))] == 2
    assert samples[("cost_reservations_refused_total", (("reason", "daily_budget"),))] == 4
    # the business gauges are read at the scrape, beside the summed events
    assert samples[("ytempire_business_metrics_up", (("section", "costs"),))] == 1
    assert ("active_videos_processing", ()) in samples


def test_gunicorn_empties_the_directory_at_start_and_marks_dead_workers(tmp_path, monkeypatch):
    shared = tmp_path / "prometheus"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    conf = runpy.run_path(str(BASE_DIR / "deploy" / "gunicorn.conf.py"))
    assert conf["workers"] >= 1 and conf["preload_app"] is False
    logged = []
    server = SimpleNamespace(log=SimpleNamespace(info=lambda *args: logged.append(args)))

    conf["on_starting"](server)  # creates the directory
    assert shared.is_dir()
    for name in ("counter_11.db", "histogram_11.db", "gauge_livesum_12.db"):
        (shared / name).write_bytes(b"stale")
    conf["on_starting"](server)  # a restart: nothing of the last run survives
    assert list(shared.iterdir()) == [] and logged[-1][-1] == 3

    for name in ("counter_21.db", "gauge_livesum_21.db", "gauge_all_21.db"):
        (shared / name).write_bytes(b"x")
    conf["child_exit"](server, SimpleNamespace(pid=21))
    # the dead worker's live gauge goes; its counters stay in the sums, as counters must
    assert sorted(p.name for p in shared.iterdir()) == ["counter_21.db", "gauge_all_21.db"]


def test_the_worker_clears_earlier_runs_files_but_keeps_its_own(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    for name in ("counter_7.db", "histogram_7.db", "counter_8.db", "gauge_all_9.db", "histogram_70.db"):
        (shared / name).write_bytes(b"x")
    assert clear_multiprocess_dir(str(shared), keep_pid=7) == 3
    assert sorted(p.name for p in shared.iterdir()) == ["counter_7.db", "histogram_7.db"]
