"""The business collector against hand-counted fixtures, its query bound, what it never exposes, and the
event metrics counted where they happen (pipeline steps, webhook deliveries)."""

import copy
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from channels.tests.factories import bound_channel
from costs.services import cost_record, cost_reserve, counter_sync, counters
from videos.models import Video, VideoStatus
from videos.services import video_generate
from videos.tests.factories import VideoFactory
from webhooks.tests.conftest import N8N_SECRET, n8n_headers
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory
from ytempire.ops.metrics import BUSINESS, exposition

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
S = VideoStatus


def scrape(client) -> tuple[str, dict]:
    """GET /api/v1/metrics as staff: the text and ``{(sample name, sorted labels): value}``."""
    response = client.get("/api/v1/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return text, samples


def value(samples: dict, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture(autouse=True)
def _counters_trusted():
    counter_sync._degraded.clear()
    yield
    counter_sync._degraded.clear()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def business(db, user, django_capture_on_commit_callbacks):
    """Two projects (one named with an email address), four accounts in the four states, one bound
    channel, eight videos, and today's money: 0.20 recorded, 0.50 held."""
    now = timezone.now()
    alpha = GoogleProjectFactory(name="alpha", uploads_used=3, searches_used=1, units_used=250)
    beta = GoogleProjectFactory(name="ops-lead@example.com", upload_limit=50)
    ok = YouTubeAccountFactory(project=alpha, email="ok-owner@example.com", health_score=Decimal("90"), uploads_today=2)
    resting = YouTubeAccountFactory(
        project=alpha, email="resting@example.com", health_score=Decimal("70.5"), rested_until=now + timedelta(hours=3)
    )
    reconnect = YouTubeAccountFactory(project=beta, email="reconnect@example.com", needs_reauth=True)
    deactivated = YouTubeAccountFactory(project=beta, email="gone@example.com", is_active=False, health_score=0)
    channel = bound_channel(user=user, account=ok, status="active")
    counts = {S.QUEUED: 2, S.PROCESSING: 1, S.READY: 1, S.UPLOADING: 0, S.PUBLISHED: 3, S.FAILED: 1, S.CANCELLED: 0}
    for status, n in counts.items():
        VideoFactory.create_batch(n, channel=channel, status=status)
    spender = Video.objects.filter(status=S.PROCESSING).get()
    with django_capture_on_commit_callbacks(execute=True):
        cost_reserve(video=spender, service="tts", amount=Decimal("0.50"))
        hold = cost_reserve(video=spender, service="openai", amount=Decimal("0.25"))
        cost_record(video=spender, service="openai", amount=Decimal("0.20"), reservation=hold)
    return {
        "projects": (alpha, beta),
        "accounts": {"ok": ok, "resting": resting, "needs_reconnect": reconnect, "deactivated": deactivated},
        "counts": counts,
    }


def test_business_gauges_equal_hand_counted_fixtures(staff_client, business):
    text, samples = scrape(staff_client)

    # money: 0.20 recorded and 0.50 still held, today and this month
    assert value(samples, "cost_daily_spend_dollars") == pytest.approx(0.20)
    assert value(samples, "cost_daily_held_dollars") == pytest.approx(0.50)
    assert value(samples, "cost_monthly_spend_dollars") == pytest.approx(0.20)
    assert value(samples, "cost_monthly_held_dollars") == pytest.approx(0.50)
    assert value(samples, "cost_daily_budget_dollars") == 150.0
    assert value(samples, "cost_monthly_budget_dollars") == 4500.0
    assert value(samples, "cost_budget_paused") == 0

    # videos: every status present, zeros included; active = queued + processing + ready + uploading
    for status, n in business["counts"].items():
        assert value(samples, "videos_by_status", status=status) == n
    assert value(samples, "active_videos_processing") == 4

    # quota per project and bucket; the project named with an address is labelled without it
    assert value(samples, "youtube_quota_usage", project="alpha", bucket="uploads") == 3
    assert value(samples, "youtube_quota_usage", project="alpha", bucket="searches") == 1
    assert value(samples, "youtube_quota_usage", project="alpha", bucket="units") == 250
    assert value(samples, "youtube_quota_limit", project="alpha", bucket="uploads") == 100
    assert value(samples, "youtube_quota_limit", project="alpha", bucket="units") == 10_000
    assert value(samples, "youtube_quota_limit", project="[EMAIL]", bucket="uploads") == 50
    assert value(samples, "youtube_project_uploads_left_today", project="alpha") == 97
    assert value(samples, "youtube_project_uploads_left_today", project="[EMAIL]") == 50

    # accounts, labelled by id: health, the state as a labelled 0/1 gauge, uploads
    accounts = business["accounts"]
    for state, account in accounts.items():
        project = "alpha" if account.project.name == "alpha" else "[EMAIL]"
        labels = {"account": str(account.pk), "project": project}
        assert value(samples, "youtube_account_health_score", **labels) == float(account.health_score)
        for other in ("ok", "resting", "needs_reconnect", "deactivated"):
            assert value(samples, "youtube_account_state", **labels, state=other) == (1 if other == state else 0)
    ok = {"account": str(accounts["ok"].pk), "project": "alpha"}
    assert value(samples, "youtube_account_uploads_today", **ok) == 2
    assert value(samples, "youtube_account_uploads_left_today", **ok) == 3  # cap 5 - 2
    assert (
        value(samples, "youtube_account_uploads_left_today", account=str(accounts["resting"].pk), project="alpha") == 0
    )
    assert value(samples, "youtube_uploads_left_today") == 3  # only the bound ok account can publish

    for section in ("costs", "videos", "youtube"):
        assert value(samples, "ytempire_business_metrics_up", section=section) == 1
    # the seed's names exist (no prefix was added to them)
    assert "\nactive_videos_processing " in text and "\nyoutube_quota_usage{" in text


def test_costs_come_from_the_database_when_the_counters_are_not_ready_or_redis_is_down(
    staff_client, business, settings
):
    counters.delete_all()  # not ready: the selector reads the ledger and the holds
    _, samples = scrape(staff_client)
    assert value(samples, "cost_daily_spend_dollars") == pytest.approx(0.20)
    assert value(samples, "cost_daily_held_dollars") == pytest.approx(0.50)

    caches = copy.deepcopy(settings.CACHES)
    caches["counters"]["LOCATION"] = "redis://127.0.0.1:1/0"  # a closed port
    settings.CACHES = caches
    _, samples = scrape(staff_client)
    assert value(samples, "cost_daily_spend_dollars") == pytest.approx(0.20)
    assert value(samples, "cost_monthly_held_dollars") == pytest.approx(0.50)
    assert value(samples, "ytempire_business_metrics_up", section="costs") == 1


def test_a_scrape_costs_six_queries_whatever_the_number_of_rows(business, django_assert_num_queries, user):
    counters.delete_all()  # the costs section's database path (one statement); Redis would be two reads
    with django_assert_num_queries(6):
        first = list(BUSINESS.collect())

    project = GoogleProjectFactory(name="gamma")
    for i in range(12):
        account = YouTubeAccountFactory(project=project, email=f"more{i}@example.com")
        VideoFactory.create_batch(3, channel=bound_channel(user=user, account=account), status=S.READY)
    with django_assert_num_queries(6):
        second = list(BUSINESS.collect())
    assert len({f.name for f in second}) == len({f.name for f in first})
    states = next(f for f in second if f.name == "youtube_account_state")
    assert len(states.samples) == 4 * YouTubeAccount.objects.count()


def test_no_email_token_or_secret_reaches_the_exposition(business):
    body = exposition()[0].decode()
    assert not EMAIL.search(body), EMAIL.search(body)
    for project in GoogleProject.objects.all():
        assert project.client_secret_encrypted not in body
    for account in YouTubeAccount.objects.all():
        assert account.credentials_encrypted not in body and account.email not in body
    assert "ya29" not in body and "1//factory" not in body


def test_the_metrics_view_stays_protected(client, business, settings, user):
    settings.METRICS_ALLOWED_IPS = ["10.1.1.1"]
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.9.9.9").status_code == 403
    client.force_login(user)  # signed in, not staff
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.9.9.9").status_code == 403
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.1.1.1").status_code == 200


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def sandbox_channel(user):
    project = GoogleProject.objects.create(name="sandbox-metrics", client_id="sandbox-metrics.apps", is_sandbox=True)
    account = YouTubeAccount.objects.create(project=project, channel_id="UCMETRICS", is_sandbox=True)
    return bound_channel(user=user, account=account, status="active", niche="Astronomy", daily_video_limit=10)


def test_each_pipeline_step_run_is_timed_by_step_and_outcome(user, sandbox_channel, django_capture_on_commit_callbacks):
    steps = ("start", "script", "voice", "render", "upload")
    before = {step: _sample("pipeline_step_duration_seconds_count", step=step, outcome="done") for step in steps}
    with django_capture_on_commit_callbacks(execute=True):
        video = video_generate(user=user, channel_id=sandbox_channel.pk, title="Rings of Saturn")
    video.refresh_from_db()
    assert video.status == S.PUBLISHED
    for step in steps:
        assert _sample("pipeline_step_duration_seconds_count", step=step, outcome="done") == before[step] + 1
    assert _sample("pipeline_step_duration_seconds_sum", step="upload", outcome="done") > 0


def test_webhook_deliveries_are_counted_by_source_and_result(db, api_client, settings):
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    video = VideoFactory(status=S.PROCESSING)
    body = json.dumps({"video_id": str(video.pk), "step": "render", "percent": 40})
    results = ("processed", "duplicate", "rejected")
    before = {result: _sample("webhook_deliveries_total", source="n8n", result=result) for result in results}

    def post(headers):
        return api_client.generic(
            "POST", "/api/v1/webhooks/n8n/progress", body.encode(), content_type="application/json", **headers
        )

    signed = n8n_headers(body, msg_id="msg_metrics_1")
    assert post(signed).status_code == 200
    assert post(signed).status_code == 200  # the same id again: a duplicate
    forged = {**n8n_headers(body, msg_id="msg_metrics_2"), "HTTP_WEBHOOK_SIGNATURE": "v1,AAAA"}
    assert post(forged).status_code in (400, 401)
    for result in results:
        assert _sample("webhook_deliveries_total", source="n8n", result=result) == before[result] + 1
