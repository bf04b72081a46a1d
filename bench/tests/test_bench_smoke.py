"""Smoke tests of the benchmark harness (not a benchmark, no timing): it imports, seeds a tiny data
set, reads wrk's output and its open-loop generator answers. Run: pytest bench/tests."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client, override_settings

from bench import database, endpoints, measure, micro, report, run, seed_analytics, server  # noqa: F401
from bench.database import reset_run_artifacts
from bench.http import RequestSpec, parse_response, render
from bench.openloop import open_loop, percentile
from bench.seed import SeedParams, seed
from bench.wrk import parse

TINY = SeedParams(users=3, channels=6, videos=30, days=3, snapshot_days=2, pool_accounts=2, projects=1, processing=2)

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:18700/
  1 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    48.10ms   10.12ms  98.20ms   80.00%
  10000 requests in 5.00s, 3.10MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 0
Requests/sec:   1999.80
Transfer/sec:    634.21KB
BENCH issued=10100 wrapped=1
"""


@pytest.mark.django_db
def test_seed_writes_a_consistent_tiny_data_set():
    from channels.models import Channel
    from costs.models import VideoCost
    from videos.models import Video
    from youtube_pool.models import YouTubeAccount

    summary = seed(TINY, log=lambda message: None)

    assert summary.rows["users"] == 3
    assert Channel.objects.count() == 6
    assert Video.objects.count() == 30
    assert Video.objects.filter(status="processing").count() >= 2
    assert VideoCost.objects.count() == summary.rows["video_costs"] > 0
    assert YouTubeAccount.objects.filter(owner__isnull=True).count() == 2
    active = Channel.objects.filter(status="active")
    assert active.filter(youtube_account__isnull=False).count() == active.count()  # pool + own accounts
    assert not Channel.objects.filter(youtube_account__isnull=False, youtube_channel_id__isnull=True).exists()


@pytest.mark.django_db
def test_run_artifacts_are_removed_back_to_the_seed():
    from django.utils import timezone

    from videos.models import Video

    seed(TINY, log=lambda message: None)
    seeded_at = timezone.now()
    channel = Video.objects.first().channel
    Video.objects.create(channel=channel, title="made by a run")

    removed = reset_run_artifacts(seeded_at=seeded_at)

    assert removed["videos"] >= 1
    assert Video.objects.count() == 30


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_baselines_answer_through_the_middleware():
    client = Client()
    assert client.get("/bench/b", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    answered = client.post(
        "/bench/password-check", {"password": "wrong"}, content_type="application/json", HTTP_X_FORWARDED_PROTO="https"
    )
    assert answered.status_code == 401


def test_wrk_output_is_read():
    result = parse(WRK_OUTPUT)

    assert (result.requests, result.rps, result.non_2xx_3xx) == (10000, 1999.80, 3)
    assert result.socket_errors == {"read": 2}
    assert (result.issued, result.wrapped) == (10100, 1)


def test_requests_render_as_raw_http():
    raw = render(RequestSpec("POST", "/x", {"A": "b"}, b"{}"), host="127.0.0.1")

    assert raw.startswith(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert b"X-Forwarded-Proto: https\r\n" in raw and b"Content-Length: 2\r\n" in raw and raw.endswith(b"\r\n\r\n{}")
    assert parse_response(b"HTTP/1.1 202 Accepted\r\nX-A: 1\r\n\r\nbody").status == 202


def test_open_loop_times_every_request_from_when_it_was_due():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        raw = render(RequestSpec("GET", "/"), host="127.0.0.1")
        result = open_loop("127.0.0.1", httpd.server_port, lambda i: raw, rate=100, seconds=0.3, drain=2)
    finally:
        httpd.shutdown()

    assert (result.sent, result.ok, result.unanswered) == (30, 30, 0)
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
