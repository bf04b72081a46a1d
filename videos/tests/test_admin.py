from decimal import Decimal

import pytest
from django.test import Client

from channels.models import ChannelStatus
from channels.tests.factories import ChannelFactory
from costs.services import cost_record, cost_reserve
from videos.models import Video, VideoStatus
from videos.services import video_event_record
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def _action(client, url, action, objects):
    return client.post(url, {"action": action, "_selected_action": [str(o.pk) for o in objects]}, follow=True)


def test_video_changelist_and_change_page_render_with_inlines(staff_client):
    video = VideoFactory()
    video_event_record(video=video, reason="script generated")
    cost_record(video=video, service="openai", amount=Decimal("0.1234"))

    listing = staff_client.get("/admin/videos/video/?status__exact=queued")
    page = staff_client.get(f"/admin/videos/video/{video.pk}/change/")

    assert listing.status_code == 200
    assert video.title in listing.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "script generated" in html
    assert "0.1234" in html


def test_video_changelist_query_count_is_constant(staff_client, django_assert_max_num_queries):
    VideoFactory.create_batch(15)

    with django_assert_max_num_queries(12):
        assert staff_client.get("/admin/videos/video/").status_code == 200


def test_video_admin_actions_call_the_services(staff_client):
    queued = VideoFactory(status=VideoStatus.QUEUED, priority=5)
    failed = VideoFactory(status=VideoStatus.FAILED)
    published = VideoFactory(status=VideoStatus.PUBLISHED)

    cancel = _action(staff_client, "/admin/videos/video/", "cancel_videos", [queued, published])
    retry = _action(staff_client, "/admin/videos/video/", "retry_videos", [failed])
    _action(staff_client, "/admin/videos/video/", "raise_priority", [queued])

    queued.refresh_from_db()
    failed.refresh_from_db()
    published.refresh_from_db()
    assert queued.status == VideoStatus.CANCELLED
    assert queued.priority == 6
    assert failed.status == VideoStatus.QUEUED
    assert published.status == VideoStatus.PUBLISHED
    messages = [str(m) for m in cancel.context["messages"]]
    assert "Cancelled 1 video(s)." in messages
    assert any("Cannot change video status from 'published'" in m for m in messages)
    assert "Re-queued 1 video(s)." in [str(m) for m in retry.context["messages"]]
    assert "cancelled by staff" in queued.events.filter(to_status="cancelled").get().reason


def test_video_admin_save_never_touches_the_status(staff_client):
    video = VideoFactory(status=VideoStatus.QUEUED, title="old")
    form = staff_client.get(f"/admin/videos/video/{video.pk}/change/")
    assert form.status_code == 200
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PROCESSING)  # the worker moved on meanwhile

    response = staff_client.post(
        f"/admin/videos/video/{video.pk}/change/",
        {
            "title": "new",
            "description": "",
            "script": "",
            "tags": "[]",
            "category_id": "",
            "complexity": "simple",
            "priority": "5",
            "optimization_level": "standard",
            "video_path": "",
            "thumbnail_path": "",
            "audio_path": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "costs-TOTAL_FORMS": "0",
            "costs-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    video.refresh_from_db()
    assert video.title == "new"
    assert video.status == VideoStatus.PROCESSING


def test_staff_queue_a_video_through_the_same_rules_as_its_owner(staff_client, user):
    """The "Queue a video" page (it replaced the channel action): counted against the owner's
    limits, refused with a message for a channel that does not take videos."""
    channel = ChannelFactory(user=user)
    paused = ChannelFactory(user=user, status=ChannelStatus.PAUSED)

    page = staff_client.get(f"/admin/videos/video/queue/?channel={channel.pk}")
    assert page.status_code == 200

    queued = staff_client.post(
        "/admin/videos/video/queue/",
        {"channel": channel.pk, "title": "Staff pick", "optimization_level": "standard", "priority": 7},
        follow=True,
    )
    video = Video.objects.get(channel=channel)
    assert (video.status, video.priority, video.metadata["queued_by"]) == (VideoStatus.QUEUED, 7, "staff")
    assert any("Queued" in str(m) for m in queued.context["messages"])

    refused = staff_client.post(
        "/admin/videos/video/queue/",
        {"channel": paused.pk, "title": "Nope", "optimization_level": "standard", "priority": 5},
        follow=True,
    )
    assert not Video.objects.filter(channel=paused).exists()
    messages = [str(m) for m in refused.context["messages"]]
    assert any(m.startswith(f"{paused.name}: Channel is paused") for m in messages)


def test_admin_cancel_action_gives_the_holds_back(staff_client, django_capture_on_commit_callbacks):
    video = VideoFactory(status=VideoStatus.PROCESSING)
    hold = cost_reserve(video=video, service="tts", amount=Decimal("0.30"))
    with django_capture_on_commit_callbacks(execute=True):
        _action(staff_client, "/admin/videos/video/", "cancel_videos", [video])
    video.refresh_from_db()
    hold.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED
    assert hold.status == "released"


def test_staff_list_the_videos_waiting_for_a_connection(staff_client):
    waiting = VideoFactory(
        status=VideoStatus.READY,
        metadata={
            "pipeline": {
                "wait": {
                    "reason": "channel_not_connected",
                    "until": "2030-01-01T00:00:00+00:00",
                    "detail": "the channel is not connected to YouTube",
                }
            }
        },
    )
    VideoFactory(status=VideoStatus.READY)

    page = staff_client.get("/admin/videos/video/?waiting_for=channel_not_connected")

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [waiting]
    assert "the channel is not connected to YouTube" in page.content.decode()
