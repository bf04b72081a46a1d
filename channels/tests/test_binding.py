"""Binding a channel to its YouTube account: one channel per account, one per YouTube channel, under the lock."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from channels.models import Channel, ChannelEvent, ChannelStatus
from channels.selectors import channels_bound_account_ids
from channels.services import channel_bind, channel_unbind, channel_youtube_flag
from channels.services.binding import TAKEN
from channels.tests.factories import ChannelFactory, bound_channel
from youtube_pool.tests.factories import YouTubeAccountFactory
from ytempire.core.exceptions import ConflictError, NotFoundError
from ytempire.core.testing import race


def _bind(channel, account, **kwargs):
    return channel_bind(
        channel_id=channel.pk,
        account_id=account.pk,
        youtube_channel_id=account.channel_id,
        handle=account.channel_handle,
        **kwargs,
    )


# --- channel_bind ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_binding_a_pending_channel_sets_the_youtube_channel_activates_it_and_records_the_event():
    channel = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)
    account = YouTubeAccountFactory(channel_id="UCtech0000000000000001", channel_handle="@techreviews")

    bound = _bind(channel, account, actor="customer")

    assert isinstance(bound, Channel)
    channel.refresh_from_db()
    assert (channel.youtube_account_id, channel.youtube_channel_id, channel.youtube_channel_handle) == (
        account.pk,
        "UCtech0000000000000001",
        "@techreviews",
    )
    assert channel.status == ChannelStatus.ACTIVE
    event = channel.events.get()
    assert (event.kind, event.reason, event.actor) == (
        "youtube_connected",
        "Connected to the YouTube channel @techreviews.",
        "customer",
    )
    assert event.data == {
        "youtube_channel_id": "UCtech0000000000000001",
        "handle": "@techreviews",
        "from": "pending_oauth",
        "to": "active",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ChannelStatus.ACTIVE, ChannelStatus.PAUSED])
def test_binding_keeps_an_active_or_paused_status(status):
    channel = ChannelFactory(status=status)

    _bind(channel, YouTubeAccountFactory())

    channel.refresh_from_db()
    assert channel.status == status
    assert channel.is_connected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ChannelStatus.ARCHIVED, "An archived channel cannot be connected to YouTube."),
        (ChannelStatus.SUSPENDED, "A suspended channel cannot be connected to YouTube; reactivate it first."),
    ],
)
def test_an_archived_or_suspended_channel_cannot_be_bound(status, message):
    channel = ChannelFactory(status=status)

    with pytest.raises(ConflictError) as refused:
        _bind(channel, YouTubeAccountFactory())

    assert refused.value.status_code == 409
    assert refused.value.message == message
    channel.refresh_from_db()
    assert channel.youtube_account_id is None
    assert not ChannelEvent.objects.exists()


@pytest.mark.django_db
def test_a_channel_bound_to_one_account_refuses_another():
    channel = bound_channel()
    first = channel.youtube_account

    with pytest.raises(ConflictError, match="already connected to another YouTube channel; disconnect it"):
        _bind(channel, YouTubeAccountFactory())

    channel.refresh_from_db()
    assert channel.youtube_account_id == first.pk


@pytest.mark.django_db
def test_an_account_bound_to_another_channel_is_refused_with_a_clear_409():
    account = YouTubeAccountFactory()
    bound_channel(account=account)
    other = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)

    with pytest.raises(ConflictError) as refused:
        _bind(other, account)

    assert (
        refused.value.message
        == TAKEN
        == ("This YouTube channel is already connected to another channel on the platform.")
    )
    other.refresh_from_db()
    assert (other.youtube_account_id, other.status) == (None, ChannelStatus.PENDING_OAUTH)


@pytest.mark.django_db
def test_a_youtube_channel_id_held_by_another_channel_is_refused():
    ChannelFactory(youtube_channel_id="UCsame0000000000000000")
    account = YouTubeAccountFactory(channel_id="UCsame0000000000000000")

    with pytest.raises(ConflictError, match="already connected to another channel"):
        _bind(ChannelFactory(), account)


@pytest.mark.django_db
def test_binding_the_same_account_again_is_idempotent_and_keeps_a_new_handle():
    channel = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)
    account = YouTubeAccountFactory(channel_handle="@old")
    _bind(channel, account)

    again = channel_bind(
        channel_id=channel.pk, account_id=str(account.pk), youtube_channel_id=account.channel_id, handle="@new"
    )

    assert again.youtube_channel_handle == "@new"
    channel.refresh_from_db()
    assert (channel.youtube_account_id, channel.youtube_channel_handle) == (account.pk, "@new")
    assert list(channel.events.values_list("kind", flat=True)) == ["youtube_connected"]


@pytest.mark.django_db
def test_bind_refuses_what_it_cannot_bind():
    channel = ChannelFactory()
    account = YouTubeAccountFactory()

    with pytest.raises(NotFoundError, match="Channel not found"):
        channel_bind(channel_id="not-a-uuid", account_id=account.pk, youtube_channel_id="UCx", handle="")
    with pytest.raises(ValidationError) as missing_id:
        channel_bind(channel_id=channel.pk, account_id=account.pk, youtube_channel_id="  ", handle="")
    assert "youtube_channel_id" in missing_id.value.message_dict
    with pytest.raises(ValidationError) as unknown_account:
        channel_bind(
            channel_id=channel.pk,
            account_id="00000000-0000-0000-0000-000000000000",
            youtube_channel_id="UCx",
            handle="",
        )
    assert "youtube_account" in unknown_account.value.message_dict
    channel.refresh_from_db()
    assert channel.youtube_account_id is None


@pytest.mark.django_db(transaction=True)
def test_two_channels_binding_the_same_account_at_once_exactly_one_wins():
    account = YouTubeAccountFactory()
    channels = [ChannelFactory(status=ChannelStatus.PENDING_OAUTH) for _ in range(2)]

    results = race(lambda i: _bind(channels[i], account), 2, indexed=True)

    winners = [r for r in results if isinstance(r, Channel)]
    losers = [r for r in results if isinstance(r, ConflictError)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert losers[0].message == TAKEN
    assert list(Channel.objects.filter(youtube_account=account).values_list("pk", flat=True)) == [winners[0].pk]
    assert ChannelEvent.objects.filter(kind="youtube_connected").count() == 1
    loser = Channel.objects.exclude(pk=winners[0].pk).get()
    assert (loser.status, loser.youtube_channel_id) == (ChannelStatus.PENDING_OAUTH, None)


@pytest.mark.django_db(transaction=True)
def test_many_channels_racing_for_one_account_leave_exactly_one_bound():
    account = YouTubeAccountFactory()
    channels = [ChannelFactory(status=ChannelStatus.PENDING_OAUTH) for _ in range(6)]

    results = race(lambda i: _bind(channels[i], account), 6, indexed=True)

    assert sum(isinstance(r, Channel) for r in results) == 1, results
    assert sum(isinstance(r, ConflictError) for r in results) == 5, results
    assert Channel.objects.filter(youtube_account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_channel_bound_to_two_accounts_at_once_keeps_exactly_one():
    channel = ChannelFactory(status=ChannelStatus.PENDING_OAUTH)
    accounts = [YouTubeAccountFactory() for _ in range(2)]

    results = race(lambda i: _bind(channel, accounts[i]), 2, indexed=True)

    assert sum(isinstance(r, Channel) for r in results) == 1, results
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    channel.refresh_from_db()
    assert channel.youtube_account_id in {a.pk for a in accounts}
    assert channel.events.count() == 1


@pytest.mark.django_db
def test_the_database_backs_the_rules_whatever_writes():
    account = YouTubeAccountFactory()
    bound_channel(account=account)
    other = ChannelFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=other.pk).update(youtube_account=account, youtube_channel_id="UCelse")
    with pytest.raises(IntegrityError), transaction.atomic():
        # bound without knowing which YouTube channel it is
        Channel.objects.filter(pk=other.pk).update(youtube_account=YouTubeAccountFactory())


@pytest.mark.django_db
def test_a_bound_account_cannot_be_deleted():
    channel = bound_channel()

    with pytest.raises(ProtectedError):
        channel.youtube_account.delete()


# --- channel_unbind ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_unbind_clears_the_binding_keeps_the_status_and_records_the_event():
    channel = bound_channel(status=ChannelStatus.ACTIVE)
    account = channel.youtube_account
    youtube_channel_id, handle = channel.youtube_channel_id, channel.youtube_channel_handle

    unbound = channel_unbind(channel_id=channel.pk, reason="disconnected by the owner", actor="customer")

    assert unbound.youtube_account_id is None
    channel.refresh_from_db()
    assert (channel.youtube_account_id, channel.youtube_channel_id, channel.youtube_channel_handle) == (None, None, "")
    assert channel.status == ChannelStatus.ACTIVE
    event = channel.events.get()
    assert (event.kind, event.reason) == (
        "youtube_disconnected",
        "Disconnected from YouTube (disconnected by the owner).",
    )
    assert event.data == {"youtube_channel_id": youtube_channel_id, "handle": handle}
    # the account is free for another channel
    assert _bind(ChannelFactory(), account).youtube_channel_id == youtube_channel_id


@pytest.mark.django_db
def test_unbinding_an_unbound_channel_changes_nothing():
    channel = ChannelFactory()

    channel_unbind(channel_id=channel.pk, reason="again")

    assert not channel.events.exists()


# --- channel_youtube_flag ----------------------------------------------------------------------


@pytest.mark.django_db
def test_flags_record_account_state_changes_once_each():
    channel = bound_channel()

    first = channel_youtube_flag(
        channel_id=channel.pk, state="needs_reconnect", reason="Google refused the channel's token; reconnect it."
    )
    repeated = channel_youtube_flag(channel_id=channel.pk, state="needs_reconnect", reason="again")
    back = channel_youtube_flag(channel_id=channel.pk, state="ok", reason="The channel was reconnected.")
    again = channel_youtube_flag(channel_id=channel.pk, state="needs_reconnect", reason="Refused again.")

    assert first.kind == "youtube_needs_reconnect"
    assert first.reason == "Google refused the channel's token; reconnect it."
    assert first.data == {"state": "needs_reconnect"}
    assert repeated is None
    assert (back.kind, again.kind) == ("youtube_ok", "youtube_needs_reconnect")
    # newest first
    assert list(channel.events.values_list("kind", flat=True)) == [
        "youtube_needs_reconnect",
        "youtube_ok",
        "youtube_needs_reconnect",
    ]
    channel.refresh_from_db()
    assert channel.youtube_account_id is not None  # a flag writes nothing but the event


@pytest.mark.django_db
def test_a_flag_after_a_reconnection_is_recorded_again():
    channel = bound_channel()
    channel_youtube_flag(channel_id=channel.pk, state="resting", reason="Upload limit reached.")
    account = channel.youtube_account
    channel_unbind(channel_id=channel.pk, reason="moved")
    _bind(channel, account)

    assert channel_youtube_flag(channel_id=channel.pk, state="resting", reason="Upload limit reached.") is not None


@pytest.mark.django_db
def test_a_flag_with_an_unknown_state_is_refused():
    channel = bound_channel()

    with pytest.raises(ValidationError):
        channel_youtube_flag(channel_id=channel.pk, state="sleepy", reason="?")
    with pytest.raises(NotFoundError):
        channel_youtube_flag(channel_id="00000000-0000-0000-0000-000000000000", state="ok", reason="?")


# --- selector ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_channels_bound_account_ids():
    first, second = bound_channel(), bound_channel(status=ChannelStatus.ARCHIVED)
    ChannelFactory()

    assert channels_bound_account_ids() == {first.youtube_account_id, second.youtube_account_id}


@pytest.mark.django_db(transaction=True)
def test_a_bind_that_passed_the_check_before_the_other_committed_is_stopped_by_the_constraint_as_a_409():
    """Thread 0 binds and keeps its transaction open; thread 1 checks meanwhile (sees nothing bound),
    then waits on the unique index until thread 0 commits, and gets the same clear 409."""
    import threading
    import time

    account = YouTubeAccountFactory()
    channels = [ChannelFactory(status=ChannelStatus.PENDING_OAUTH) for _ in range(2)]
    first_bound = threading.Event()

    def bind(i):
        if i == 0:
            with transaction.atomic():
                result = _bind(channels[0], account)
                first_bound.set()
                time.sleep(1.5)  # thread 1 checks and writes while this is uncommitted
            return result
        first_bound.wait(timeout=30)
        return _bind(channels[1], account)

    results = race(bind, 2, indexed=True)

    assert isinstance(results[0], Channel), results
    assert isinstance(results[1], ConflictError), results
    assert results[1].message == TAKEN
    assert Channel.objects.get(pk=channels[1].pk).youtube_account_id is None
