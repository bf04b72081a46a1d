"""Keep only the YouTube bindings that are certain, before the binding constraints (0005) apply.

Until now ``youtube_account`` was an unchecked admin field that uploads ignored. A binding is kept
when it is the only channel on that account and the account's YouTube channel is the channel's (a
missing ``youtube_channel_id`` is filled from the account when no other channel claims it). Every
other binding is removed (the channel is "not connected"; its owner connects it again) and says so
in the channel's history. Nothing is bound that was not bound before.
"""

from collections import Counter

from django.db import migrations
from django.utils import timezone

REASON = (
    "Disconnected from YouTube: this connection could not be verified during an upgrade; "
    "connect the channel again."
)


def verify_bindings(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    ChannelEvent = apps.get_model("channels", "ChannelEvent")
    YouTubeAccount = apps.get_model("youtube_pool", "YouTubeAccount")

    bound = list(
        Channel.objects.filter(youtube_account__isnull=False).values(
            "id", "youtube_account_id", "youtube_channel_id", "youtube_channel_handle"
        )
    )
    if not bound:
        return
    per_account = Counter(row["youtube_account_id"] for row in bound)
    accounts = {
        row["id"]: row
        for row in YouTubeAccount.objects.filter(id__in=per_account).values("id", "channel_id", "channel_handle")
    }
    now = timezone.now()
    for row in bound:
        account = accounts.get(row["youtube_account_id"])
        youtube_channel_id = account["channel_id"] if account else None
        keep = (
            per_account[row["youtube_account_id"]] == 1
            and bool(youtube_channel_id)
            and row["youtube_channel_id"] in (None, youtube_channel_id)
            and not Channel.objects.filter(youtube_channel_id=youtube_channel_id).exclude(id=row["id"]).exists()
        )
        if keep:
            if row["youtube_channel_id"] is None:
                Channel.objects.filter(id=row["id"]).update(
                    youtube_channel_id=youtube_channel_id,
                    youtube_channel_handle=row["youtube_channel_handle"] or account["channel_handle"] or "",
                )
            continue
        Channel.objects.filter(id=row["id"]).update(youtube_account=None)
        ChannelEvent.objects.create(
            channel_id=row["id"], kind="youtube_disconnected", reason=REASON, data={}, actor="migration", at=now
        )


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0003_channel_events_and_failover"),
        ("youtube_pool", "0002_pool_state"),
    ]

    operations = [
        migrations.RunPython(verify_bindings, migrations.RunPython.noop, elidable=True),
    ]
