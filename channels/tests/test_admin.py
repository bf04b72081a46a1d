"""The channel admin: status and automation are read-only in the form; actions call the services."""

import uuid

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from channels.models import Channel, ChannelStatus
from channels.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/channels/channel/"


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def _action(client, url, action, objects):
    return client.post(url, {"action": action, "_selected_action": [str(o.pk) for o in objects]}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_channel_admin_actions(staff_client, user, stopped_events):
    channel = ChannelFactory(user=user)

    _action(staff_client, "/admin/channels/channel/", "disable_automation", [channel])
    channel.refresh_from_db()
    assert channel.automation_enabled is False
    assert "disabled by staff" in channel.metadata["automation_paused_reason"]

    _action(staff_client, "/admin/channels/channel/", "enable_automation", [channel])
    channel.refresh_from_db()
    assert channel.automation_enabled is True

    _action(staff_client, "/admin/channels/channel/", "archive_channels", [channel])
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ARCHIVED
    # The videos app cancels the channel's unfinished videos on this event.
    assert [cid for cid, _ in stopped_events] == [channel.pk]


def test_channel_changelist_renders(staff_client, django_assert_max_num_queries):
    ChannelFactory.create_batch(10)

    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/channels/channel/?q=Channel")

    assert response.status_code == 200
    assert Channel.objects.count() == 10


def test_the_changelist_offers_the_service_actions_and_no_video_queueing(staff_client):
    html = staff_client.get(CHANGELIST).content.decode()

    for action in (
        "enable_automation",
        "disable_automation",
        "archive_channels",
        "suspend_channels",
        "reactivate_channels",
    ):
        assert f'value="{action}"' in html
    assert "queue_video_now" not in html


def test_enable_action_refuses_a_channel_beyond_the_plan_limit_per_row(staff_client):
    owner = UserFactory(channel_limit=1)
    running = ChannelFactory(user=owner, automation_enabled=True)
    stopped = ChannelFactory(user=owner, automation_enabled=False, name="over the limit")

    response = _action(staff_client, CHANGELIST, "enable_automation", [running, stopped])

    assert response.status_code == 200
    messages = _messages(response)
    assert "Enabled automation on 1 channel(s)." in messages
    assert any(m.startswith("over the limit: Automation already runs on 1 channels") for m in messages), messages
    stopped.refresh_from_db()
    assert stopped.automation_enabled is False


def test_disable_action_records_the_staff_reason_and_does_not_stop_production(staff_client, staff_user, stopped_events):
    channel = ChannelFactory(automation_enabled=True)

    response = _action(staff_client, CHANGELIST, "disable_automation", [channel])

    assert "Disabled automation on 1 channel(s)." in _messages(response)
    channel.refresh_from_db()
    assert channel.automation_enabled is False
    assert channel.metadata["automation_paused_reason"] == "disabled by staff"
    assert stopped_events == []
    event = channel.events.get()
    assert (event.kind, event.reason, event.actor) == (
        "automation_off",
        "Automation turned off (disabled by staff).",
        f"staff {staff_user.pk}",
    )


def test_archive_action_sends_channel_stopped(staff_client, staff_user, stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE, automation_enabled=True)

    response = _action(staff_client, CHANGELIST, "archive_channels", [channel])

    assert "Archived 1 channel(s)." in _messages(response)
    channel.refresh_from_db()
    assert (channel.status, channel.automation_enabled) == (ChannelStatus.ARCHIVED, False)
    assert stopped_events == [(channel.pk, "channel archived: archived by staff")]
    event = channel.events.get()
    assert (event.kind, event.reason, event.actor) == (
        "archived",
        "Channel archived (archived by staff).",
        f"staff {staff_user.pk}",
    )


def test_suspend_action_sends_channel_stopped_and_reports_refusals_per_row(staff_client, staff_user, stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE)
    archived = ChannelFactory(status=ChannelStatus.ARCHIVED, automation_enabled=False, name="gone")

    response = _action(staff_client, CHANGELIST, "suspend_channels", [channel, archived])

    assert response.status_code == 200
    messages = _messages(response)
    assert "Suspended 1 channel(s)." in messages
    assert "gone: An archived channel cannot be suspended." in messages
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.SUSPENDED
    assert stopped_events == [(channel.pk, "channel suspended: suspended by staff")]
    assert list(channel.events.values_list("kind", "reason")) == [
        ("suspended", "Channel suspended (suspended by staff).")
    ]
    assert not archived.events.exists()


def test_reactivate_action_goes_through_the_service(staff_client, stopped_events):
    suspended = ChannelFactory(status=ChannelStatus.SUSPENDED)
    paused = ChannelFactory(status=ChannelStatus.PAUSED)
    pending = ChannelFactory(status=ChannelStatus.PENDING_OAUTH, name="not connected")

    response = _action(staff_client, CHANGELIST, "reactivate_channels", [suspended, paused, pending])

    assert response.status_code == 200
    messages = _messages(response)
    assert "Reactivated 2 channel(s)." in messages
    assert (
        f"not connected: Connect the YouTube channel first (POST /api/v1/channels/{pending.pk}/youtube/connect)."
        in (messages)
    )
    statuses = dict(Channel.objects.values_list("pk", "status"))
    assert statuses == {
        suspended.pk: ChannelStatus.ACTIVE,
        paused.pk: ChannelStatus.ACTIVE,
        pending.pk: ChannelStatus.PENDING_OAUTH,
    }
    assert stopped_events == []


def test_change_form_shows_state_read_only_and_saves_only_changed_fields(staff_client):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE, automation_enabled=True, name="old")
    url = f"/admin/channels/channel/{channel.pk}/change/"
    form = staff_client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="status"' not in html
    assert 'name="automation_enabled"' not in html
    # A worker (or another service) changes state while the form is open.
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.SUSPENDED, total_videos=7)

    response = staff_client.post(
        url,
        {
            "name": "new",
            "description": "",
            "niche": channel.niche,
            "daily_video_limit": "5",
            "upload_time_utc": "",
            "settings": "{}",
            "failover_to_reserve": "on",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "0",
            # read-only: ignored even when posted
            "status": "active",
            "automation_enabled": "",
            "youtube_account": str(uuid.uuid4()),
            "youtube_channel_id": "UCstolen",
            "youtube_channel_handle": "@stolen",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    channel.refresh_from_db()
    assert channel.name == "new"
    assert channel.failover_to_reserve is True
    assert (channel.status, channel.automation_enabled, channel.total_videos) == (ChannelStatus.SUSPENDED, True, 7)
    assert (channel.youtube_account_id, channel.youtube_channel_id, channel.youtube_channel_handle) == (None, None, "")


# --- YouTube binding and history -----------------------------------------------------------------


def test_changelist_filters_by_youtube_connection(staff_client):
    from channels.tests.factories import bound_channel

    connected = bound_channel(name="connected one")
    ChannelFactory(name="waiting one")

    yes = staff_client.get(CHANGELIST + "?youtube=connected").content.decode()
    no = staff_client.get(CHANGELIST + "?youtube=not_connected").content.decode()

    assert "connected one" in yes and "waiting one" not in yes
    assert "waiting one" in no and "connected one" not in no
    assert connected.youtube_account_id is not None


def test_changelist_asks_the_youtube_provider_once_per_page(
    staff_client, youtube_provider, django_assert_max_num_queries
):
    from channels.tests.factories import bound_channel

    channels = [bound_channel() for _ in range(5)]
    ChannelFactory.create_batch(3)
    youtube_provider.answers[channels[0].pk] = {
        "connected": True,
        "channel_id": channels[0].youtube_channel_id,
        "handle": "",
        "account_state": "needs_reconnect",
        "uploads_today": 0,
        "upload_cap": 5,
    }

    with django_assert_max_num_queries(12):
        html = staff_client.get(CHANGELIST).content.decode()

    assert len(youtube_provider.calls) == 1
    assert len(youtube_provider.calls[0]) == 5
    assert "needs_reconnect (0/5 today)" in html
    assert "ok (1/5 today)" in html
    assert "not connected" in html


def test_change_form_shows_the_binding_read_only_and_the_history_inline(staff_client):
    from channels.services import channel_youtube_flag
    from channels.tests.factories import bound_channel

    channel = bound_channel()
    channel_youtube_flag(channel_id=channel.pk, state="needs_reconnect", reason="Reconnect the YouTube channel.")

    html = staff_client.get(f"/admin/channels/channel/{channel.pk}/change/").content.decode()

    for field in ("youtube_account", "youtube_channel_id", "youtube_channel_handle"):
        assert f'name="{field}"' not in html
    assert 'name="failover_to_reserve"' in html
    assert channel.youtube_channel_id in html
    assert "youtube_needs_reconnect" in html
    assert "Reconnect the YouTube channel." in html
    assert 'name="events-0-kind"' not in html  # the inline is read-only


def test_event_admin_is_read_only(staff_client, django_assert_max_num_queries):
    from channels.models import ChannelEvent
    from channels.services import channel_event_record

    channels = ChannelFactory.create_batch(3)
    for channel in channels:
        for kind in ("suspended", "reactivated"):
            channel_event_record(channel_id=channel.pk, kind=kind, reason=f"{kind} by staff")
    event = ChannelEvent.objects.first()

    with django_assert_max_num_queries(10):
        listing = staff_client.get("/admin/channels/channelevent/?kind=suspended")
    detail = staff_client.get(f"/admin/channels/channelevent/{event.pk}/change/")

    assert listing.status_code == 200
    assert listing.content.decode().count("suspended by staff") == 3
    assert detail.status_code == 200
    assert 'name="reason"' not in detail.content.decode()
    assert staff_client.get("/admin/channels/channelevent/add/").status_code == 403
    assert staff_client.post(f"/admin/channels/channelevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ChannelEvent.objects.count() == 6
