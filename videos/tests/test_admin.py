from decimal import Decimal

import pytest
from django.test import Client

from channels.models import Channel, ChannelStatus
from channels.tests.factories import ChannelFactory
from costs.services import cost_record
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


def test_channel_admin_actions(staff_client, user):
    channel = ChannelFactory(user=user)
    paused = ChannelFactory(user=user, status=ChannelStatus.PAUSED)

    _action(staff_client, "/admin/channels/channel/", "disable_automation", [channel])
    channel.refresh_from_db()
    assert channel.automation_enabled is False
    assert "disabled by staff" in channel.metadata["automation_paused_reason"]

    _action(staff_client, "/admin/channels/channel/", "enable_automation", [channel])
    channel.refresh_from_db()
    assert channel.automation_enabled is True

    queued = _action(staff_client, "/admin/channels/channel/", "queue_video_now", [channel, paused])
    assert Video.objects.filter(channel=channel, status=VideoStatus.QUEUED).count() == 1
    assert not Video.objects.filter(channel=paused).exists()
    messages = [str(m) for m in queued.context["messages"]]
    assert "Queued a video for 1 channel(s)." in messages
    assert any(m.startswith(f"{paused.name}: Channel is paused") for m in messages)

    _action(staff_client, "/admin/channels/channel/", "archive_channels", [channel])
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ARCHIVED
    assert Video.objects.get(channel=channel).status == VideoStatus.CANCELLED


def test_channel_changelist_renders(staff_client, django_assert_max_num_queries):
    ChannelFactory.create_batch(10)

    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/channels/channel/?q=Channel")

    assert response.status_code == 200
    assert Channel.objects.count() == 10
