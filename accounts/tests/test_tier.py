"""user_set_tier: the one door for tier changes (billing, admin and the set_tier command call it)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.services import user_set_tier
from accounts.signals import tier_changed
from accounts.tests.factories import UserFactory
from ytempire.core.testing import race


@pytest.fixture
def tier_events():
    """Every tier_changed sent during the test, as (sender, kwargs)."""
    events = []

    def record(sender, **kwargs):
        events.append((sender, kwargs))

    tier_changed.connect(record, weak=False, dispatch_uid="test-tier-events")
    yield events
    tier_changed.disconnect(dispatch_uid="test-tier-events")


@pytest.mark.django_db
def test_user_set_tier_applies_the_tier_limits_and_sends_tier_changed(tier_events):
    user = UserFactory(tier="free", channel_limit=5, daily_video_limit=10)

    returned = user_set_tier(user=user, tier="growth", actor="test")

    assert returned is user
    assert (user.tier, user.channel_limit, user.daily_video_limit) == ("growth", 25, 100)
    stored = User.objects.get(pk=user.pk)
    assert (stored.tier, stored.channel_limit, stored.daily_video_limit) == ("growth", 25, 100)
    assert len(tier_events) == 1
    sender, kwargs = tier_events[0]
    assert sender is User
    assert kwargs["user"] is user
    assert (kwargs["old_tier"], kwargs["new_tier"]) == ("free", "growth")


@pytest.mark.django_db
def test_user_set_tier_to_the_same_tier_writes_nothing_and_sends_nothing(tier_events):
    user = UserFactory(tier="growth", channel_limit=30, daily_video_limit=100)
    before = User.objects.get(pk=user.pk).updated_at

    user_set_tier(user=user, tier="growth")

    stored = User.objects.get(pk=user.pk)
    assert stored.updated_at == before
    assert stored.channel_limit == 30  # a staff-granted custom limit is not reset by a no-op
    assert tier_events == []


@pytest.mark.django_db
@pytest.mark.parametrize("tier", ["platinum", "", "FREE", None, 3])
def test_user_set_tier_refuses_an_unknown_tier(tier_events, tier):
    user = UserFactory(tier="starter", channel_limit=5, daily_video_limit=25)

    with pytest.raises(ValidationError) as raised:
        user_set_tier(user=user, tier=tier)

    assert "Unknown tier" in raised.value.message_dict["tier"][0]
    assert User.objects.get(pk=user.pk).tier == "starter"
    assert tier_events == []


@pytest.mark.django_db
def test_user_set_tier_saves_only_the_tier_fields():
    user = UserFactory(tier="free", full_name="Old name")
    # Another writer changed the row after this object was loaded.
    User.objects.filter(pk=user.pk).update(full_name="New name", stripe_subscription_id="sub_123")

    user_set_tier(user=user, tier="scale")

    stored = User.objects.get(pk=user.pk)
    assert (stored.tier, stored.full_name, stored.stripe_subscription_id) == ("scale", "New name", "sub_123")


@pytest.mark.django_db
def test_tier_changed_is_sent_inside_the_transaction():
    """A receiver that fails rolls the tier change back with it."""
    user = UserFactory(tier="free")

    def fail(sender, **kwargs):
        raise RuntimeError("receiver failed")

    tier_changed.connect(fail, weak=False, dispatch_uid="test-failing-receiver")
    try:
        with pytest.raises(RuntimeError):
            user_set_tier(user=user, tier="growth")
    finally:
        tier_changed.disconnect(dispatch_uid="test-failing-receiver")

    stored = User.objects.get(pk=user.pk)
    assert (stored.tier, stored.channel_limit) == ("free", 5)


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_tier_changes_send_one_event(tier_events):
    user = UserFactory(tier="free")

    results = race(lambda: user_set_tier(user=User.objects.get(pk=user.pk), tier="growth"), 4)

    assert all(isinstance(r, User) for r in results), results
    assert len(tier_events) == 1
    assert tier_events[0][1]["old_tier"] == "free"


# --- the set_tier command ------------------------------------------------------------------


@pytest.mark.django_db
def test_set_tier_command_calls_user_set_tier(tier_events, capsys):
    user = UserFactory(email="owner@example.com", tier="free")

    call_command("set_tier", "Owner@Example.com", "starter")

    user.refresh_from_db()
    assert (user.tier, user.channel_limit, user.daily_video_limit) == ("starter", 5, 25)
    assert [(e[1]["old_tier"], e[1]["new_tier"]) for e in tier_events] == [("free", "starter")]
    assert "free -> starter" in capsys.readouterr().out


@pytest.mark.django_db
def test_set_tier_command_reports_an_unchanged_tier(tier_events, capsys):
    UserFactory(email="owner@example.com", tier="growth")

    call_command("set_tier", "owner@example.com", "growth")

    assert "already on growth" in capsys.readouterr().out
    assert tier_events == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "tier", "message"),
    [("nobody@example.com", "growth", "No user with email"), ("owner@example.com", "gold", "Unknown tier 'gold'")],
)
def test_set_tier_command_refuses_unknown_users_and_tiers(email, tier, message):
    UserFactory(email="owner@example.com", tier="free")

    with pytest.raises(CommandError, match=message):
        call_command("set_tier", email, tier)

    assert User.objects.get(email="owner@example.com").tier == "free"
