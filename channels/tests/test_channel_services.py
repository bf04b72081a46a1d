import pytest

from accounts.tests.factories import UserFactory
from channels.models import Channel, ChannelStatus
from channels.services import channel_create, channel_enforce_limit, next_tier_label
from channels.tests.factories import ChannelFactory
from ytempire.core.testing import race


def test_next_tier_label_skips_tiers_without_more_channels(settings):
    assert next_tier_label(tier="free", channel_limit=5) == "Growth"
    assert next_tier_label(tier="starter", channel_limit=5) == "Growth"
    assert next_tier_label(tier="growth", channel_limit=25) == "Scale"
    assert next_tier_label(tier="scale", channel_limit=100) is None
    # a user with a custom, bigger limit is pointed at a tier that really has more
    assert next_tier_label(tier="free", channel_limit=30) == "Scale"


@pytest.mark.django_db
def test_enforce_limit_pauses_the_newest_channels_beyond_the_limit():
    owner = UserFactory(channel_limit=5)
    channels = [ChannelFactory(user=owner) for _ in range(5)]
    ChannelFactory(user=owner, status=ChannelStatus.ARCHIVED)  # not counted
    owner.channel_limit = 2
    owner.save(update_fields=["channel_limit"])

    paused = channel_enforce_limit(user=owner)

    assert paused == 3
    states = {c.pk: c for c in Channel.objects.filter(user=owner)}
    assert [states[c.pk].automation_enabled for c in channels] == [True, True, False, False, False]
    assert "channel limit (2)" in states[channels[-1].pk].metadata["automation_paused_reason"]
    assert Channel.objects.filter(user=owner).count() == 6  # nothing deleted
    # idempotent
    assert channel_enforce_limit(user=owner) == 0


@pytest.mark.django_db
def test_enforce_limit_within_the_limit_changes_nothing():
    owner = UserFactory(channel_limit=5)
    ChannelFactory.create_batch(2, user=owner)

    assert channel_enforce_limit(user=owner) == 0
    assert Channel.objects.filter(user=owner, automation_enabled=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_for_the_last_slot_exactly_one_wins(client_for):
    owner = UserFactory(channel_limit=3)
    ChannelFactory.create_batch(2, user=owner)
    client_paths = []

    def create():
        response = client_for(owner).post("/api/v1/channels", {"name": "race", "niche": "Tech"}, format="json")
        client_paths.append(response.json())
        return response.status_code

    results = race(create, 4)

    assert sorted(results) == [201, 403, 403, 403], client_paths
    assert Channel.objects.filter(user=owner).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_service_creates_never_pass_the_limit():
    owner = UserFactory(channel_limit=2)

    results = race(lambda: channel_create(user=owner, name="race", niche="Tech"), 5)

    created = [r for r in results if isinstance(r, Channel)]
    assert len(created) == 2, results
    assert Channel.objects.filter(user=owner).count() == 2
