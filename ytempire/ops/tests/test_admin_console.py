"""The admin as the operations console: every admin on Unfold, the dashboard from the analytics
selectors, and the pages staff open with their session (capacity, daily cost report, failed and
waiting videos, webhook deliveries)."""

import json
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from unfold.admin import ModelAdmin, StackedInline, TabularInline

from accounts.tests.factories import UserFactory
from analytics.selectors import operations_overview
from channels.models import ChannelStatus
from channels.tests.factories import bound_channel
from costs.services import cost_record
from videos.models import Video, VideoEvent, VideoStatus
from videos.publishing.capacity import publishing_capacity
from videos.tests.factories import VideoFactory
from webhooks.models import WebhookEvent, WebhookResult
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory
from ytempire.ops.admin_site import OpsAdminSite
from ytempire.schedules import setup_periodic_tasks

from .dashboard_data import build_operations_day, empty_kpis, page_kpis, selector_kpis

pytestmark = pytest.mark.django_db
D = Decimal
MIDDAY = datetime.fromisoformat("2026-03-10T15:00:00+00:00")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def midday():
    """A fixed mid-day moment: "today" cannot roll over while a test counts."""
    with time_machine.travel(MIDDAY, tick=False):
        yield MIDDAY


@pytest.fixture
def day(midday, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_operations_day()


def test_every_admin_and_inline_is_unfolds():
    assert isinstance(admin.site, OpsAdminSite)
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ModelAdmin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, (TabularInline, StackedInline)), (model, inline)


def test_dashboard_kpis_are_the_selectors_numbers_for_a_hand_built_day(staff_client, day):
    overview = operations_overview()
    response = staff_client.get(reverse("admin:index"))

    assert response.status_code == 200
    shown = page_kpis(response.content.decode())
    assert shown == day.kpis  # counted by hand
    assert {key: value for key, (value, _text) in shown.items()} == selector_kpis(overview)
    assert overview["today"]["videos_by_status"] == {
        **dict.fromkeys(VideoStatus.values, 0),
        "published": 2,
        "failed": 1,
        "queued": 1,
    }
    html = response.content.decode()
    assert '<tr data-status="published">' in html and "proj-one" in html and "@ops-one" in html
    assert response.context["created_today"] == 4
    for row in response.context["statuses"]:  # each count links to the very rows behind it
        assert staff_client.get(row["href"]).context["cl"].result_count == row["count"], row["status"]


def test_dashboard_charts_carry_the_selectors_series(staff_client, day):
    overview = operations_overview()
    charts = {chart["key"]: json.loads(chart["data"]) for chart in staff_client.get("/admin/").context["charts"]}

    assert set(charts) == {"spend_per_day", "videos_per_day", "cost_distribution", "quota_by_project_today"}
    spend = charts["spend_per_day"]
    assert len(spend["labels"]) == len(overview["series"]["spend_per_day"]) == 30
    assert spend["datasets"][0]["data"][-1] == "2.0000"  # today, Decimal as text (never a float)
    assert spend["datasets"][1]["data"] == [str(row["budget"]) for row in overview["series"]["spend_per_day"]]
    assert spend["datasets"][1]["hidden"] is True  # $2 against $150: the line would flatten the bars
    per_status = {ds["label"]: ds["data"][-1] for ds in charts["videos_per_day"]["datasets"]}
    assert (per_status["Published"], per_status["Failed"], per_status["Queued"]) == (2, 1, 1)
    distribution = charts["cost_distribution"]
    buckets = dict(zip(distribution["labels"], distribution["datasets"][0]["data"], strict=True))
    assert (buckets["$0.75-1.00"], buckets["$1.00-1.25"], sum(buckets.values())) == (1, 1, 2)
    quota = charts["quota_by_project_today"]
    assert len(quota["labels"]) == 24
    assert [ds["label"] for ds in quota["datasets"]] == ["proj-one"]
    assert sum(quota["datasets"][0]["data"]) == 2


def test_dashboard_renders_with_an_empty_database(staff_client, midday, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = staff_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert page_kpis(response.content.decode()) == empty_kpis()
    assert b"No Google project yet." in response.content
    for chart in response.context["charts"]:
        json.loads(chart["data"]) and json.loads(chart["options"])
    assert b"https://" not in response.content.split(b'id="ytempire-operations"')[1]  # nothing from a CDN


def test_dashboard_links_to_the_operations_pages(staff_client, midday):
    html = staff_client.get("/admin/").content.decode()
    for name in ("ops_capacity", "ops_failed_videos", "ops_waiting_videos", "costs_videocost_report"):
        assert f'href="{reverse(f"admin:{name}")}"' in html
    assert reverse("admin:webhooks_webhookevent_changelist") in html


def test_admin_pages_need_a_staff_session(client, user):
    for name in ("index", "ops_capacity", "ops_failed_videos", "ops_waiting_videos"):
        assert "/admin/login/" in client.get(reverse(f"admin:{name}"))["Location"]
    client.force_login(user)  # signed in, not staff
    assert "/admin/login/" in client.get(reverse("admin:ops_capacity"))["Location"]


def test_staff_without_the_model_permissions_are_refused_the_pages(client):
    client.force_login(UserFactory(is_staff=True))
    for name in ("ops_capacity", "ops_failed_videos", "ops_waiting_videos"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403


def test_capacity_page_opens_with_the_admin_session(staff_client):
    project = GoogleProjectFactory(name="proj-cap", uploads_used=40)
    ok = YouTubeAccountFactory(project=project, channel_handle="@cap-ok", uploads_today=1)
    YouTubeAccountFactory(project=project, channel_handle="@cap-reconnect", needs_reauth=True)
    VideoFactory()  # a channel, not bound
    bound_channel(account=ok, name="Capacity channel")
    capacity = publishing_capacity()

    response = staff_client.get(reverse("admin:ops_capacity"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-capacity="uploads_possible_today">{capacity["uploads_possible_today"]}<' in html
    assert capacity["uploads_possible_today"] == 4  # 5 a day, 1 used; the project has 60 uploads left
    assert f'data-capacity="unbound_channels">{capacity["unbound_channels"]}<' in html
    assert "proj-cap" in html and "40 / 100" in html and "Capacity channel" in html
    assert "@cap-reconnect" in html and "ops-state-needs_reconnect" in html


def test_daily_cost_report_is_a_chart_of_the_ledger(staff_client, django_capture_on_commit_callbacks, settings):
    settings.DAILY_COST_BUDGET = D("2.00")
    video = VideoFactory(status=VideoStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True):
        cost_record(video=video, service="openai", amount=D("0.9000"))
        cost_record(video=video, service="tts", amount=D("0.3000"))

    response = staff_client.get(reverse("admin:costs_videocost_report"), {"days": "7"})

    assert response.status_code == 200
    data = json.loads(response.context["chart_data"])
    options = json.loads(response.context["chart_options"])
    assert len(data["labels"]) == 7
    by_label = {ds["label"]: ds for ds in data["datasets"]}
    assert set(by_label) == {"openai", "tts", "Daily budget"}
    assert [D(v) for v in by_label["openai"]["data"]] == [D(0)] * 6 + [D("0.9")]  # Decimal as text, never a float
    assert [D(v) for v in by_label["tts"]["data"]] == [D(0)] * 6 + [D("0.3")]
    assert [D(v) for v in by_label["Daily budget"]["data"]] == [D(2)] * 7
    assert by_label["Daily budget"]["hidden"] is False  # $1.20 of $2: the line is worth drawing
    assert options["scales"]["y"]["stacked"] is True and options["animation"] is False
    assert b'class="chart"' in response.content and b'data-type="bar"' in response.content


def test_failed_queue_lists_the_dashboards_failures_and_retries_them(staff_client, day):
    url = reverse("admin:ops_failed_videos")
    page = staff_client.get(url)

    assert page.status_code == 200
    failed, old = day.videos["failed"], day.videos["old"]
    assert [v.pk for v in page.context["videos"]] == [failed.pk]  # the old one is past the window
    assert page.context["total"] == operations_overview()["today"]["failed_needing_attention"] == 1
    assert "render timed out" in page.content.decode()
    assert [v.pk for v in staff_client.get(url, {"days": "30"}).context["videos"]] == [failed.pk, old.pk]

    retried = staff_client.post(url, {"video": str(failed.pk)}, follow=True)

    failed.refresh_from_db()
    assert failed.status == VideoStatus.QUEUED
    event = VideoEvent.objects.filter(video=failed).latest("id")
    assert (event.from_status, event.to_status, event.reason) == ("failed", "queued", "retried by staff")
    assert event.data["staff"] is True and "@" not in json.dumps(event.data)
    assert [str(m) for m in retried.context["messages"]] == ["Re-queued \u201cBroken one\u201d."]
    assert retried.context["videos"] == []

    again = staff_client.post(url, {"video": str(failed.pk)}, follow=True)
    assert [str(m) for m in again.context["messages"]] == ["Nothing to retry: the video is no longer failed."]
    assert staff_client.post(url, {"video": "not-a-uuid"}).status_code == 302


def test_failed_queue_reports_a_refused_retry(staff_client, midday):
    video = VideoFactory(status=VideoStatus.FAILED, channel__status=ChannelStatus.SUSPENDED, title="Stuck")

    response = staff_client.post(reverse("admin:ops_failed_videos"), {"video": str(video.pk)}, follow=True)

    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("\u201cStuck\u201d: Channel is suspended")


def test_failed_queue_retry_needs_the_change_permission(client, midday):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_video"))
    client.force_login(viewer)
    video = VideoFactory(status=VideoStatus.FAILED)

    page = client.get(reverse("admin:ops_failed_videos"))
    assert page.status_code == 200 and b'name="retry"' not in page.content
    assert client.post(reverse("admin:ops_failed_videos"), {"video": str(video.pk)}).status_code == 403
    video.refresh_from_db()
    assert video.status == VideoStatus.FAILED


def _waiting(reason: str, until: str, detail: str, **kwargs) -> Video:
    return VideoFactory(
        status=VideoStatus.READY,
        metadata={"pipeline": {"wait": {"reason": reason, "until": until, "detail": detail}}},
        **kwargs,
    )


def test_waiting_videos_show_their_reason_and_until_when(staff_client, midday):
    later = _waiting("channel_capacity", "2026-03-11T08:00:00+00:00", "the channel used its 5 uploads today")
    sooner = _waiting("budget", "2026-03-10T16:00:00+00:00", "daily budget reached")
    VideoFactory(status=VideoStatus.READY)  # not waiting
    VideoFactory(status=VideoStatus.PUBLISHED, metadata={"pipeline": {"wait": {"reason": "budget"}}})  # finished

    url = reverse("admin:ops_waiting_videos")
    page = staff_client.get(url)

    assert page.status_code == 200
    assert [row["video"].pk for row in page.context["rows"]] == [sooner.pk, later.pk]  # soonest first
    assert page.context["total"] == 2
    counts = {item["reason"]: item["count"] for item in page.context["reasons"]}
    assert (counts["channel_capacity"], counts["budget"], counts["channel_not_connected"]) == (1, 1, 0)
    html = page.content.decode()
    assert "the channel used its 5 uploads today" in html and "2026-03-11 08:00 UTC" in html
    assert "channel&#x27;s upload capacity" in html and "cost budget" in html

    only_budget = staff_client.get(url, {"reason": "budget"})
    assert [row["video"].pk for row in only_budget.context["rows"]] == [sooner.pk]
    assert staff_client.get(url, {"reason": "nonsense"}).context["total"] == 2  # unknown reason: all


def test_webhook_deliveries_open_in_the_admin(staff_client):
    WebhookEvent.objects.create(
        source="n8n",
        event_id="evt-1",
        event_type="render.completed",
        result=WebhookResult.FAILED,
        status_code=409,
        error="video not ready",
        signature_valid=True,
    )
    index = staff_client.get("/admin/").content.decode()
    url = reverse("admin:webhooks_webhookevent_changelist")
    assert f'href="{url}"' in index

    page = staff_client.get(url, {"result__exact": "failed"})

    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert "render.completed" in page.content.decode() and "video not ready" in page.content.decode()


def test_celery_beat_schedules_open_on_unfold(staff_client):
    setup_periodic_tasks()  # what migrate does: upsert the schedules of ytempire/schedules.py by name
    task = PeriodicTask.objects.order_by("name").first()
    assert staff_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200
    change = staff_client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    assert change.status_code == 200
    html = change.content.decode()
    assert 'id="id_regtask"' in html and f'<option value="{task.task}">' in html  # Unfold's select of our tasks


def test_sidebar_hides_what_a_staff_member_may_not_open(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_video"))
    client.force_login(viewer)

    html = client.get(reverse("admin:ops_waiting_videos")).content.decode()

    assert reverse("admin:ops_failed_videos") in html
    assert reverse("admin:ops_capacity") not in html
    assert reverse("admin:costs_videocost_report") not in html


def test_chart_js_and_fonts_come_from_our_static_files(staff_client, midday):
    html = staff_client.get("/admin/").content.decode()
    assert '<script src="/static/unfold/js/chart/chart.js">' in html
    assert "/static/unfold/fonts/inter/styles.css" in html
    assert "cdn" not in html.lower() and "googleapis" not in html
