"""A channel's history: every status change is an event; no event carries an email, a token or a server path."""

import pytest
from django.core.exceptions import ValidationError

from accounts.services import user_set_tier
from accounts.tests.factories import UserFactory
from channels.models import ChannelEvent, ChannelStatus
from channels.services import (
    channel_archive,
    channel_delete,
    channel_event_record,
    channel_reactivate,
    channel_set_automation,
    channel_suspend,
    channel_update,
)
from channels.tests.factories import ChannelFactory, bound_channel
from ytempire.core.exceptions import ConflictError

pytestmark = pytest.mark.django_db


def _kinds(channel) -> list[str]:
    return list(channel.events.order_by("at", "id").values_list("kind", flat=True))


# --- channel_event_record ----------------------------------------------------------------------


def test_an_event_is_recorded_with_its_fields():
    channel = ChannelFactory()

    event = channel_event_record(
        channel_id=channel.pk, kind="youtube_failover", reason="Moved to a reserve account.", data={"n": 1}, actor="x"
    )

    event.refresh_from_db()
    assert (event.channel_id, event.kind, event.reason, event.data, event.actor) == (
        channel.pk,
        "youtube_failover",
        "Moved to a reserve account.",
        {"n": 1},
        "x",
    )
    assert event.at is not None


def test_events_never_carry_emails_tokens_or_server_paths(settings):
    channel = ChannelFactory()

    event = channel_event_record(
        channel_id=channel.pk,
        kind="youtube_needs_reconnect",
        reason=(
            "invalid_grant for pool7@ytempire.example (token ya29.a0AfB_secret, refresh 1//0gSecret-Refresh) "
            f"while reading /var/lib/app/creds.json and {settings.BASE_DIR}/media/v.mp4 via "
            "POST /api/v1/channels/x/youtube/connect with Bearer eyJhbGciOi.eyJzdWIi.sig"
        ),
        data={
            "email": "pool7@ytempire.example",
            "refresh_token": "1//0gSecret-Refresh",
            "client_secret": "s3cret",
            "detail": {"file": "/tmp/pytest/x.json", "who": ["ops@ytempire.example", 3, None, True]},
            "youtube_channel_id": "UCkept",
        },
        actor="staff ops@ytempire.example",
    )

    event.refresh_from_db()
    text = f"{event.reason} {event.data} {event.actor}"
    for secret in ("@ytempire.example", "ya29.", "1//0g", "s3cret", "/var/lib", "/tmp/", str(settings.BASE_DIR), "eyJ"):
        assert secret not in text, (secret, text)
    assert "[email]" in event.reason and "[token]" in event.reason and "[path]" in event.reason
    assert "/api/v1/channels/x/youtube/connect" in event.reason  # an API route is not a server path
    assert event.data == {
        "detail": {"file": "[path]", "who": ["[email]", 3, None, True]},
        "youtube_channel_id": "UCkept",
    }
    assert event.actor == "staff [email]"


def test_a_handle_is_not_mistaken_for_an_email():
    event = channel_event_record(channel_id=ChannelFactory().pk, kind="youtube_connected", reason="Connected to @tech.")

    assert event.reason == "Connected to @tech."


def test_a_long_reason_is_clipped_and_a_bad_kind_refused():
    channel = ChannelFactory()

    event = channel_event_record(channel_id=channel.pk, kind="note", reason="x" * 900)
    assert len(event.reason) == 500

    for kind in ("", "Youtube Connected", "a" * 41, "1st"):
        with pytest.raises(ValidationError):
            channel_event_record(channel_id=channel.pk, kind=kind, reason="r")
    with pytest.raises(ValidationError):
        channel_event_record(channel_id=channel.pk, kind="note", reason="r", data=["not", "an", "object"])
    assert ChannelEvent.objects.count() == 1


# --- status changes are events -------------------------------------------------------------------


def test_archive_suspend_reactivate_are_recorded_once_each():
    channel = ChannelFactory(status=ChannelStatus.PAUSED)

    channel_suspend(channel=channel, reason="suspended by staff", actor="staff 1")
    channel_suspend(channel=channel, reason="again", actor="staff 1")  # already suspended: nothing new
    channel_reactivate(channel=channel, actor="staff 1")
    channel_reactivate(channel=channel)  # already active: nothing new
    channel_archive(channel=channel, reason="archived by staff", actor="staff 1")
    channel_archive(channel=channel, reason="again")

    assert _kinds(channel) == ["suspended", "reactivated", "archived"]
    suspended, reactivated, archived = channel.events.order_by("at", "id")
    assert (suspended.reason, suspended.data) == ("Channel suspended (suspended by staff).", {"from": "paused"})
    assert (reactivated.reason, reactivated.data) == ("Channel reactivated.", {"from": "suspended", "to": "active"})
    assert (archived.reason, archived.data, archived.actor) == (
        "Channel archived (archived by staff).",
        {"from": "active"},
        "staff 1",
    )


def test_a_channel_suspended_before_connecting_goes_back_to_waiting_unless_connected_since():
    waiting = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)
    channel_suspend(channel=waiting, reason="check")
    channel_reactivate(channel=waiting)
    waiting.refresh_from_db()
    assert waiting.status == ChannelStatus.PENDING_OAUTH
    assert waiting.events.get(kind="reactivated").reason == (
        "Channel reactivated; it becomes active once its YouTube channel is connected."
    )

    connected = bound_channel(status=ChannelStatus.PENDING_OAUTH)
    channel_suspend(channel=connected, reason="check")
    channel_reactivate(channel=connected)
    connected.refresh_from_db()
    assert connected.status == ChannelStatus.ACTIVE


def test_reactivating_a_never_connected_channel_says_how_to_connect():
    channel = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)

    with pytest.raises(ConflictError) as refused:
        channel_reactivate(channel=channel)

    assert refused.value.message == (
        f"Connect the YouTube channel first (POST /api/v1/channels/{channel.pk}/youtube/connect)."
    )
    assert not channel.events.exists()


def test_automation_on_and_off_are_recorded_when_they_change():
    channel = ChannelFactory(automation_enabled=True)

    channel_set_automation(channel=channel, enabled=True)  # unchanged: no event
    channel_set_automation(channel=channel, enabled=False, reason="disabled by staff", actor="staff 1")
    channel_set_automation(channel=channel, enabled=True)

    assert _kinds(channel) == ["automation_off", "automation_on"]
    off, on = channel.events.order_by("at", "id")
    assert off.reason == "Automation turned off (disabled by staff)."
    assert on.reason == "Automation turned on."


def test_a_plan_downgrade_records_plan_limit_paused_on_each_paused_channel():
    owner = UserFactory(tier="growth", channel_limit=25)
    channels = ChannelFactory.create_batch(7, user=owner)

    user_set_tier(user=owner, tier="starter", actor="test")

    paused = [c for c in channels if c.events.filter(kind="plan_limit_paused").exists()]
    assert len(paused) == 2
    event = paused[0].events.get()
    assert event.reason == "Automation paused: your plan allows automation on 5 channels."
    assert event.data == {"channel_limit": 5}


def test_customer_updates_record_pause_resume_and_automation(user):
    channel = ChannelFactory(user=user, status=ChannelStatus.ACTIVE, automation_enabled=True)

    channel_update(channel=channel, actor=user, data={"status": "paused", "automation_enabled": False})
    channel_update(channel=channel, actor=user, data={"status": "active"})
    channel_update(channel=channel, actor=user, data={"name": "renamed"})  # not a status change: no event

    assert _kinds(channel) == ["automation_off", "paused", "resumed"]
    events = list(channel.events.order_by("at", "id"))
    assert [e.actor for e in events] == ["owner"] * 3
    assert events[1].reason == "Channel paused by the owner."
    assert events[1].data == {"from": "active", "to": "paused"}
    channel.refresh_from_db()
    assert channel.metadata["automation_paused_reason"] == "disabled by the owner"


def test_role_admin_suspending_through_the_api_is_recorded_without_their_email(user, platform_admin, stopped_events):
    channel = ChannelFactory(user=user)

    channel_update(channel=channel, actor=platform_admin, data={"status": "suspended"})
    channel_update(channel=channel, actor=platform_admin, data={"status": "active"})

    assert _kinds(channel) == ["suspended", "reactivated"]
    suspended = channel.events.get(kind="suspended")
    assert suspended.reason == "Channel suspended (suspended by role admin)."
    assert suspended.actor == f"role admin {platform_admin.pk}"
    assert stopped_events == [(channel.pk, "channel suspended: suspended by role admin")]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert "suspended_from" not in channel.metadata


def test_nobody_activates_a_never_connected_channel_not_even_role_admin(user, platform_admin):
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)

    for actor in (user, platform_admin):
        with pytest.raises(ConflictError, match="Connect the YouTube channel first"):
            channel_update(channel=channel, actor=actor, data={"status": "active"})

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.PENDING_OAUTH


def test_archiving_by_delete_is_recorded_before_the_row_is_kept(user):
    from django.utils import timezone

    from videos.tests.factories import VideoFactory

    channel = ChannelFactory(user=user)
    VideoFactory(channel=channel, published_at=timezone.now())

    assert channel_delete(channel=channel, actor="owner") == "archived"

    event = channel.events.get()
    assert (event.kind, event.actor) == ("archived", "owner")
