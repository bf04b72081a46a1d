"""Channel status services: each one that stops production sends channel_stopped inside its transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels.models import Channel, ChannelStatus
from channels.services import (
    ChannelLimitError,
    channel_archive,
    channel_delete,
    channel_enforce_limit,
    channel_reactivate,
    channel_set_automation,
    channel_suspend,
    channel_update,
)
from channels.signals import channel_stopped
from channels.tests.factories import ChannelFactory
from costs.services import cost_record
from videos.tests.factories import VideoFactory
from ytempire.core.exceptions import ConflictError

pytestmark = pytest.mark.django_db


def _channels_in_creation_order(owner, count: int) -> list[Channel]:
    """``count`` channels whose created_at are a minute apart (the oldest first)."""
    start = timezone.now() - timedelta(days=1)
    channels = []
    for index in range(count):
        channel = ChannelFactory(user=owner)
        Channel.objects.filter(pk=channel.pk).update(created_at=start + timedelta(minutes=index))
        channels.append(channel)
    return channels


# --- archive ---------------------------------------------------------------------------------


def test_archive_turns_automation_off_and_sends_channel_stopped(stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE, automation_enabled=True)

    channel_archive(channel=channel, reason="archived by staff (a@b.c)")

    channel.refresh_from_db()
    assert (channel.status, channel.automation_enabled) == (ChannelStatus.ARCHIVED, False)
    assert channel.metadata["archived_reason"] == "archived by staff (a@b.c)"
    assert stopped_events == [(channel.pk, "channel archived: archived by staff (a@b.c)")]


def test_archiving_again_keeps_the_first_reason_and_resends_the_event(stopped_events):
    channel = ChannelFactory()
    channel_archive(channel=channel, reason="first")

    channel_archive(channel=channel, reason="second")

    channel.refresh_from_db()
    assert channel.metadata["archived_reason"] == "first"
    assert [reason for _, reason in stopped_events] == ["channel archived: first", "channel archived: second"]


def test_archiving_a_row_left_half_archived_turns_its_automation_off(stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ARCHIVED, automation_enabled=True)  # as the old admin form left it

    channel_archive(channel=channel, reason="cleanup")

    channel.refresh_from_db()
    assert channel.automation_enabled is False
    assert stopped_events == [(channel.pk, "channel archived: cleanup")]


def test_channel_stopped_is_sent_inside_the_transaction():
    """A receiver that fails rolls the archive back with it."""
    channel = ChannelFactory()

    def fail(sender, **kwargs):
        raise RuntimeError("receiver failed")

    channel_stopped.connect(fail, weak=False, dispatch_uid="test-failing-stop")
    try:
        with pytest.raises(RuntimeError):
            channel_archive(channel=channel, reason="x")
    finally:
        channel_stopped.disconnect(dispatch_uid="test-failing-stop")

    channel.refresh_from_db()
    assert (channel.status, channel.automation_enabled) == (ChannelStatus.ACTIVE, True)


# --- suspend / reactivate ---------------------------------------------------------------------


def test_suspend_sends_channel_stopped_and_remembers_the_status_it_had(stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE, automation_enabled=True)

    channel_suspend(channel=channel, reason="policy strike")

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.SUSPENDED
    assert channel.automation_enabled is True  # kept for reactivation; automation only serves active channels
    assert channel.metadata["suspended_reason"] == "policy strike"
    assert channel.metadata["suspended_from"] == ChannelStatus.ACTIVE
    assert stopped_events == [(channel.pk, "channel suspended: policy strike")]


def test_an_archived_channel_cannot_be_suspended(stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ARCHIVED, automation_enabled=False)

    with pytest.raises(ConflictError, match="archived channel cannot be suspended"):
        channel_suspend(channel=channel, reason="x")

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ARCHIVED
    assert stopped_events == []


@pytest.mark.parametrize(
    ("start", "expected"),
    [(ChannelStatus.SUSPENDED, ChannelStatus.ACTIVE), (ChannelStatus.PAUSED, ChannelStatus.ACTIVE)],
)
def test_reactivate_makes_suspended_and_paused_channels_active(stopped_events, start, expected):
    channel = ChannelFactory(status=start)

    channel_reactivate(channel=channel)

    channel.refresh_from_db()
    assert channel.status == expected
    assert "reactivated_at" in channel.metadata
    assert stopped_events == []


def test_a_channel_suspended_while_pending_oauth_goes_back_to_pending():
    channel = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)
    channel_suspend(channel=channel, reason="x")

    channel_reactivate(channel=channel)

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.PENDING_OAUTH
    assert "suspended_from" not in channel.metadata


@pytest.mark.parametrize(
    ("start", "message"),
    [(ChannelStatus.PENDING_OAUTH, "Connect the YouTube channel"), (ChannelStatus.ARCHIVED, "archived channel")],
)
def test_reactivate_refuses_pending_and_archived_channels(start, message):
    channel = ChannelFactory(status=start)

    with pytest.raises(ConflictError, match=message):
        channel_reactivate(channel=channel)

    channel.refresh_from_db()
    assert channel.status == start


def test_reactivating_an_active_channel_changes_nothing():
    channel = ChannelFactory(status=ChannelStatus.ACTIVE)
    before = Channel.objects.get(pk=channel.pk).updated_at

    channel_reactivate(channel=channel)

    assert Channel.objects.get(pk=channel.pk).updated_at == before


# --- automation and the plan's limit ----------------------------------------------------------


def test_enforce_limit_sends_channel_stopped_for_each_channel_it_pauses(stopped_events):
    owner = UserFactory(channel_limit=5)
    channels = _channels_in_creation_order(owner, 4)
    channels[3].automation_enabled = False
    channels[3].save(update_fields=["automation_enabled"])  # already off: not paused again, no event
    owner.channel_limit = 1
    owner.save(update_fields=["channel_limit"])

    assert channel_enforce_limit(user=owner) == 2

    reason = "automation paused: channel limit (1) exceeded after plan change"
    assert stopped_events == [(channels[1].pk, reason), (channels[2].pk, reason)]


def test_disabling_automation_stops_scheduling_only(stopped_events):
    channel = ChannelFactory(automation_enabled=True)

    channel_set_automation(channel=channel, enabled=False, reason="by owner")

    channel.refresh_from_db()
    assert channel.automation_enabled is False
    assert channel.metadata["automation_paused_reason"] == "by owner"
    assert stopped_events == []


def test_automation_cannot_be_turned_back_on_beyond_the_plan_limit():
    owner = UserFactory(tier="free", channel_limit=5)
    channels = _channels_in_creation_order(owner, 3)
    owner.channel_limit = 2
    owner.save(update_fields=["channel_limit"])
    channel_enforce_limit(user=owner)

    with pytest.raises(ChannelLimitError, match=r"channel limit \(2\)"):
        channel_set_automation(channel=channels[2], enabled=True)

    # Turning it off on an older channel makes room.
    channel_set_automation(channel=channels[0], enabled=False)
    channel_set_automation(channel=channels[2], enabled=True)
    assert list(Channel.objects.filter(user=owner, automation_enabled=True).order_by("created_at")) == [
        channels[1],
        channels[2],
    ]


def test_an_archived_channel_cannot_run_automation():
    channel = ChannelFactory(status=ChannelStatus.ARCHIVED, automation_enabled=False)

    with pytest.raises(ConflictError, match="archived channel cannot run automation"):
        channel_set_automation(channel=channel, enabled=True)


def test_channel_update_respects_the_automation_limit(client_for):
    owner = UserFactory(channel_limit=5)
    channels = _channels_in_creation_order(owner, 2)
    owner.channel_limit = 1
    owner.save(update_fields=["channel_limit"])
    channel_enforce_limit(user=owner)

    response = client_for(owner).patch(
        f"/api/v1/channels/{channels[1].pk}", {"automation_enabled": True}, format="json"
    )

    assert response.status_code == 403
    assert "channel limit (1)" in response.json()["detail"]
    channels[1].refresh_from_db()
    assert channels[1].automation_enabled is False


# --- role-admin API status changes go through the services ------------------------------------


@pytest.mark.parametrize(
    ("to_status", "reason_start"),
    [("suspended", "channel suspended: suspended by "), ("archived", "channel archived: archived by ")],
)
def test_role_admin_status_change_through_the_api_stops_the_channel(
    admin_client_api, user, stopped_events, to_status, reason_start
):
    channel = ChannelFactory(user=user, name="keep me")

    response = admin_client_api.patch(
        f"/api/v1/channels/{channel.pk}", {"status": to_status, "name": "renamed"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == to_status
    channel.refresh_from_db()
    assert (channel.status, channel.name) == (to_status, "renamed")
    assert [cid for cid, _ in stopped_events] == [channel.pk]
    assert stopped_events[0][1].startswith(reason_start)


def test_update_without_a_status_change_sends_nothing(stopped_events):
    channel = ChannelFactory(status=ChannelStatus.ACTIVE)

    channel_update(channel=channel, actor=channel.user, data={"status": "active", "name": "x"})

    assert stopped_events == []


# --- delete -----------------------------------------------------------------------------------


def test_delete_keeps_a_channel_whose_videos_have_recorded_costs(stopped_events):
    channel = ChannelFactory()
    video = VideoFactory(channel=channel)
    cost_record(video=video, service="openai", amount=Decimal("0.0100"))

    assert channel_delete(channel=channel) == "archived"

    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ARCHIVED
    assert [cid for cid, _ in stopped_events] == [channel.pk]


def test_delete_without_published_videos_or_costs_is_hard_and_sends_nothing(stopped_events):
    channel = ChannelFactory()
    VideoFactory(channel=channel)

    assert channel_delete(channel=channel) == "deleted"

    assert not Channel.objects.filter(pk=channel.pk).exists()
    assert stopped_events == []
