"""The upgrade keeps only the YouTube bindings that are certain, then the binding constraints apply."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from channels.models import Channel, ChannelEvent
from channels.tests.factories import ChannelFactory
from youtube_pool.tests.factories import YouTubeAccountFactory

BEFORE = ("channels", "0003_channel_events_and_failover")


def _old_channel(**fields):
    """A channel row as the 0003 schema takes it (revenue was a NOT NULL 0 then; 0006 made it nullable)."""
    return ChannelFactory(total_revenue_cents=0, **fields)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_upgrade_binds_nothing_it_cannot_know():
    _migrate([BEFORE])  # the binding was an unchecked admin field
    try:
        certain = YouTubeAccountFactory(channel_id="UCcertain0000000000000", channel_handle="@certain")
        kept = _old_channel(youtube_account=certain, youtube_channel_id="UCcertain0000000000000")
        unnamed_account = YouTubeAccountFactory(channel_id="UCunnamed0000000000000", channel_handle="@unnamed")
        unnamed = _old_channel(youtube_account=unnamed_account, youtube_channel_id=None)
        shared = YouTubeAccountFactory()
        twins = [_old_channel(youtube_account=shared, youtube_channel_id=None) for _ in range(2)]
        mismatched = _old_channel(youtube_account=YouTubeAccountFactory(), youtube_channel_id="UCsomethingelse")
        anonymous = _old_channel(youtube_account=YouTubeAccountFactory(channel_id=None), youtube_channel_id=None)
        untouched = _old_channel(youtube_channel_id="UCnotbound000000000000")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rows = {c.pk: c for c in Channel.objects.all()}
    assert (rows[kept.pk].youtube_account_id, rows[kept.pk].youtube_channel_id) == (
        certain.pk,
        "UCcertain0000000000000",
    )
    assert (rows[unnamed.pk].youtube_account_id, rows[unnamed.pk].youtube_channel_id) == (
        unnamed_account.pk,
        "UCunnamed0000000000000",
    )
    assert rows[unnamed.pk].youtube_channel_handle == "@unnamed"
    for cleared in (*twins, mismatched, anonymous):
        assert rows[cleared.pk].youtube_account_id is None
        event = ChannelEvent.objects.get(channel_id=cleared.pk)
        assert (event.kind, event.actor) == ("youtube_disconnected", "migration")
        assert event.reason.startswith("Disconnected from YouTube: this connection could not be verified")
    assert rows[mismatched.pk].youtube_channel_id == "UCsomethingelse"  # known data is not thrown away
    assert rows[untouched.pk].youtube_channel_id == "UCnotbound000000000000"
    assert not ChannelEvent.objects.filter(channel_id__in=[kept.pk, unnamed.pk, untouched.pk]).exists()
    # and from now on the database refuses a second channel on one account
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.filter(pk=twins[0].pk).update(youtube_account=certain, youtube_channel_id="UCtwin")
