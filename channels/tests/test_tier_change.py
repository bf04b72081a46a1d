"""A tier change from any entrance pauses automation on the channels beyond the new limit (oldest kept)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.services import user_set_tier
from accounts.tests.factories import UserFactory
from channels.models import Channel, ChannelStatus
from channels.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def _by_service(owner, tier, staff):
    user_set_tier(user=owner, tier=tier, actor="test")


def _by_command(owner, tier, staff):
    call_command("set_tier", owner.email, tier)


def _by_admin(owner, tier, staff):
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/user/", {"action": f"set_tier_{tier}", "_selected_action": [str(owner.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"Set tier {tier.title()} on 1 user(s)."]


ENTRANCES = pytest.mark.parametrize(
    "change_tier", [_by_service, _by_command, _by_admin], ids=["service", "command", "admin"]
)


def _owner_with_channels(tier: str, count: int):
    owner = UserFactory()
    user_set_tier(user=owner, tier=tier)
    start = timezone.now() - timedelta(days=1)
    channels = []
    for index in range(count):
        channel = ChannelFactory(user=owner)
        # Creation order decides who keeps automation; make it unambiguous.
        Channel.objects.filter(pk=channel.pk).update(created_at=start + timedelta(minutes=index))
        channels.append(channel)
    return owner, channels


@ENTRANCES
def test_a_downgrade_pauses_automation_on_the_newest_channels_beyond_the_limit(change_tier, staff_user, stopped_events):
    owner, channels = _owner_with_channels("growth", 7)
    archived = ChannelFactory(user=owner, status=ChannelStatus.ARCHIVED, automation_enabled=False)  # not counted

    change_tier(owner, "free", staff_user)  # channel limit 25 -> 5

    owner.refresh_from_db()
    assert (owner.tier, owner.channel_limit) == ("free", 5)
    states = {c.pk: c for c in Channel.objects.filter(user=owner)}
    assert [states[c.pk].automation_enabled for c in channels] == [True] * 5 + [False] * 2
    for paused in channels[5:]:
        assert "channel limit (5)" in states[paused.pk].metadata["automation_paused_reason"]
    assert len(states) == 8  # nothing deleted
    assert states[archived.pk].status == ChannelStatus.ARCHIVED
    assert [cid for cid, _ in stopped_events] == [channels[5].pk, channels[6].pk]
    assert {reason for _, reason in stopped_events} == {
        "automation paused: channel limit (5) exceeded after plan change"
    }


@ENTRANCES
def test_an_upgrade_pauses_nothing(change_tier, staff_user, stopped_events):
    owner, channels = _owner_with_channels("free", 5)

    change_tier(owner, "scale", staff_user)

    assert Channel.objects.filter(user=owner, automation_enabled=True).count() == 5
    assert stopped_events == []
