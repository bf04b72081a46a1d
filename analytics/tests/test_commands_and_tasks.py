import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import ChannelStatsSnapshot, ChannelStatsSync, DailyChannelRollup, VideoStatsSnapshot
from analytics.tasks import rollups_refresh_task, youtube_stats_sync_task
from channels.models import Channel
from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus
from ytempire.celery import app
from ytempire.schedules import SCHEDULES

from .conftest import at, connect, make_project, make_video

pytestmark = pytest.mark.django_db


def _run(name: str, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_sync_youtube_stats_reads_every_channel_with_a_progress_bar(youtube):
    project = make_project(youtube, "cmd")
    first, _a, first_yt = connect(youtube, project, "first@example.com", views=11)
    second, _b, _ = connect(youtube, project, "second@example.com", views=22)
    youtube_id = youtube.add_video(first_yt.channel_id, views=3)
    make_video(first, youtube_video_id=youtube_id, published=timezone.now() - dt.timedelta(days=10))

    output = _run("sync_youtube_stats")

    assert "[###############...............] 1/2" in output and "[##############################] 2/2" in output
    assert "2 channel(s): 2 synced, 0 partly, 0 skipped, 0 failed; 1 video(s) read in 3 metered call(s)." in output
    assert Channel.objects.get(pk=second.pk).total_views == 22


def test_sync_youtube_stats_for_one_channel_since_a_day(youtube):
    project = make_project(youtube, "cmd")
    channel, _a, yt = connect(youtube, project, "first@example.com")
    connect(youtube, project, "second@example.com")
    old = make_video(
        channel, youtube_video_id=youtube.add_video(yt.channel_id, views=1), published=at(dt.date(2026, 1, 5))
    )
    new = make_video(channel, youtube_video_id=youtube.add_video(yt.channel_id, views=2), published=timezone.now())

    output = _run("sync_youtube_stats", "--channel", str(channel.pk), "--since", "2026-02-01")

    assert "1 channel(s): 1 synced" in output
    assert Video.objects.get(pk=new.pk).view_count == 2 and Video.objects.get(pk=old.pk).stats_updated_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since: expected a day as YYYY-MM-DD"),
        (["--channel", "nope"], "--channel: expected a channel id"),
        (["--channel", "00000000-0000-0000-0000-000000000000"], "no connected channel"),
    ],
)
def test_sync_youtube_stats_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        _run("sync_youtube_stats", *args)


def test_sync_youtube_stats_refuses_an_unbound_channel():
    with pytest.raises(CommandError, match="no connected channel"):
        _run("sync_youtube_stats", "--channel", str(ChannelFactory().pk))


def test_backfill_rebuilds_missing_snapshots_from_stored_totals_and_the_rollups():
    now = timezone.now()
    day = now.astimezone(dt.UTC).date()
    channel = ChannelFactory(total_views=500, total_subscribers=12)
    ChannelStatsSync.objects.create(channel=channel, synced_at=now)
    read = make_video(channel, created=now - dt.timedelta(days=2), published=now - dt.timedelta(days=2))
    kept = make_video(channel, created=now - dt.timedelta(days=1), published=now - dt.timedelta(days=1))
    Video.objects.filter(pk__in=[read.pk, kept.pk]).update(view_count=40, like_count=4, stats_updated_at=now)
    VideoStatsSnapshot.objects.create(video=kept, date=day, view_count=39, taken_at=now)  # YouTube's reading stays

    dry = _run("backfill_stats_snapshots", "--dry-run")
    assert "would add 1 channel and 1 video snapshot(s)" in dry and not ChannelStatsSnapshot.objects.exists()

    output = _run("backfill_stats_snapshots")

    assert "added 1 channel and 1 video snapshot(s)" in output and "rollups" in output
    snapshot = ChannelStatsSnapshot.objects.get(channel=channel)
    assert (snapshot.date, snapshot.view_count, snapshot.subscriber_count) == (day, 500, 12)
    assert VideoStatsSnapshot.objects.get(video=read).view_count == 40
    assert VideoStatsSnapshot.objects.get(video=kept).view_count == 39
    assert DailyChannelRollup.objects.filter(channel=channel).count() == 3  # two publishing days and today


def test_rebuild_rollups_over_a_range():
    channel = ChannelFactory()
    make_video(channel, status=VideoStatus.QUEUED, created=at(dt.date(2026, 3, 2), 6))

    output = _run("rebuild_rollups", "--from", "2026-03-01", "--to", "2026-03-03")

    assert "[##############################] 3/3" in output and "Rebuilt 3 day(s): 1 rollup row(s)." in output
    with pytest.raises(CommandError, match="--from must be on or before --to"):
        _run("rebuild_rollups", "--from", "2026-03-04", "--to", "2026-03-03")


def test_the_tasks_run_their_services(youtube):
    project = make_project(youtube, "task")
    channel, _a, _ = connect(youtube, project, "task@example.com", views=5)
    make_video(channel, status=VideoStatus.QUEUED, created=timezone.now())

    assert rollups_refresh_task.delay().get() == 1
    assert youtube_stats_sync_task.delay().get() == {
        "channels": 1,
        "synced": 1,
        "partial": 0,
        "skipped": 0,
        "failed": 0,
        "deferred": 0,
        "calls": 1,
    }


def test_the_schedules_name_registered_tasks():
    mine = {s.name: s for s in SCHEDULES if s.task.startswith("analytics.")}

    assert {s.task for s in mine.values()} <= set(app.tasks)
    assert mine["analytics: refresh today's and yesterday's rollups"].every_seconds == 600
    assert mine["analytics: refresh the last 30 days' rollups"].kwargs == {"days": 30}
    assert mine["analytics: sync YouTube statistics and revenue"].every_seconds == 3600
