import datetime as dt
from decimal import Decimal

import pytest

from analytics.models import ChannelRevenueDay, ChannelStatsSnapshot, DailyChannelRollup, DailyPlatformRollup
from analytics.rollups import rollup_day_figures, rollups_rebuild, rollups_refresh, rollups_refresh_recent
from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus

from .conftest import NOW, TODAY, at, charge, make_video

pytestmark = pytest.mark.django_db

D = Decimal
YESTERDAY = TODAY - dt.timedelta(days=1)


def _rollup(channel, day=TODAY) -> DailyChannelRollup:
    return DailyChannelRollup.objects.get(channel=channel, date=day)


def test_a_day_is_rolled_up_per_channel_from_the_source_rows():
    channel, other = ChannelFactory(), ChannelFactory()
    published = make_video(channel, created=at(TODAY, 1), published=at(TODAY, 2))
    make_video(channel, status=VideoStatus.QUEUED, created=at(TODAY, 3))
    make_video(channel, status=VideoStatus.FAILED, created=at(TODAY, 23, 59))
    make_video(channel, created=at(YESTERDAY, 23), published=at(TODAY, 0, 5))  # created yesterday
    make_video(channel, status=VideoStatus.QUEUED, created=at(TODAY + dt.timedelta(days=1), 0))  # tomorrow
    charge(published, "0.75")
    charge(published, "0.25", service="render")
    charge(published, "9.99", day=YESTERDAY)
    make_video(other, status=VideoStatus.CANCELLED, created=at(TODAY, 5))
    ChannelStatsSnapshot.objects.create(channel=channel, date=YESTERDAY, view_count=1_000, taken_at=NOW)
    ChannelStatsSnapshot.objects.create(
        channel=channel, date=TODAY, view_count=1_250, subscriber_count=40, taken_at=NOW
    )
    ChannelStatsSnapshot.objects.create(channel=other, date=TODAY, view_count=7, subscriber_count=1, taken_at=NOW)
    ChannelRevenueDay.objects.create(channel=channel, date=TODAY, revenue=D("1.5"), views=10, fetched_at=NOW)

    written = rollups_refresh(days=[TODAY], now=NOW)

    assert written == 2
    row = _rollup(channel)
    assert (row.created_published, row.created_queued, row.created_failed, row.created_processing) == (1, 1, 1, 0)
    assert row.published == 2
    assert row.spend == D("1.0000")
    assert (row.views, row.subscribers, row.revenue) == (250, 40, D("1.5000"))
    other_row = _rollup(other)
    # no reading the day before: the views gained are unknown, not the lifetime count
    assert (other_row.created_cancelled, other_row.views, other_row.subscribers, other_row.revenue) == (
        1,
        None,
        1,
        None,
    )


def test_a_refresh_is_idempotent_and_drops_channels_with_nothing_left():
    channel = ChannelFactory()
    video = make_video(channel, status=VideoStatus.QUEUED, created=at(TODAY, 1))
    rollups_refresh(days=[TODAY], now=NOW)
    rollups_refresh(days=[TODAY], now=NOW)
    assert DailyChannelRollup.objects.count() == 1

    Video.objects.filter(pk=video.pk).delete()
    rollups_refresh(days=[TODAY], now=NOW)

    assert not DailyChannelRollup.objects.exists()


def test_a_refresh_of_some_channels_leaves_the_others_alone():
    first, second = ChannelFactory(), ChannelFactory()
    make_video(first, status=VideoStatus.QUEUED, created=at(TODAY, 1))
    make_video(second, status=VideoStatus.QUEUED, created=at(TODAY, 1))
    rollups_refresh(days=[TODAY], now=NOW)
    make_video(second, status=VideoStatus.QUEUED, created=at(TODAY, 2))
    Video.objects.filter(channel=first).delete()

    rollups_refresh(days=[TODAY], channel_ids=[second.pk], now=NOW)

    assert _rollup(second).created_queued == 2
    assert _rollup(first).created_queued == 1  # not refreshed


def test_five_queries_per_day(django_assert_num_queries):
    channel = ChannelFactory()
    make_video(channel, created=at(TODAY, 1), published=at(TODAY, 2))
    with django_assert_num_queries(5):
        rollup_day_figures(day=TODAY)


def test_the_beat_refreshes_today_and_yesterday_and_the_nightly_run_the_last_30_days():
    channel = ChannelFactory()
    for back in (0, 1, 2, 29, 30):
        make_video(channel, status=VideoStatus.QUEUED, created=at(TODAY - dt.timedelta(days=back), 6))

    rollups_refresh_recent(now=NOW)
    assert set(DailyChannelRollup.objects.values_list("date", flat=True)) == {TODAY, YESTERDAY}

    rollups_refresh_recent(days=30, now=NOW)
    assert DailyChannelRollup.objects.count() == 4  # 30 days back is outside the window
    assert not DailyChannelRollup.objects.filter(date=TODAY - dt.timedelta(days=30)).exists()


def test_a_budget_day_ahead_of_utc_is_refreshed_too(settings):
    settings.COST_BUDGET_TIMEZONE = "Pacific/Kiritimati"  # UTC+14: its budget day is already tomorrow
    channel = ChannelFactory()
    video = make_video(channel, status=VideoStatus.QUEUED, created=at(TODAY, 1))
    charge(video, "0.10", day=TODAY + dt.timedelta(days=1))

    rollups_refresh_recent(now=NOW)

    assert _rollup(channel, TODAY + dt.timedelta(days=1)).spend == D("0.1000")


def test_rebuild_reports_progress_day_by_day():
    channel = ChannelFactory()
    make_video(channel, status=VideoStatus.QUEUED, created=at(YESTERDAY, 6))
    seen = []

    result = rollups_rebuild(
        date_from=YESTERDAY - dt.timedelta(days=2), date_to=YESTERDAY, progress=lambda d, t: seen.append((d, t))
    )

    assert result == {"days": 3, "rows": 1}
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_platform_row_is_the_sum_of_the_channel_rows_and_follows_partial_refreshes():
    first, second = ChannelFactory(), ChannelFactory()
    make_video(first, status=VideoStatus.QUEUED, created=at(TODAY, 1))
    video = make_video(second, created=at(TODAY, 2), published=at(TODAY, 3))
    charge(video, "1.25")
    ChannelStatsSnapshot.objects.create(channel=first, date=YESTERDAY, view_count=10, taken_at=NOW)
    ChannelStatsSnapshot.objects.create(channel=first, date=TODAY, view_count=30, taken_at=NOW)
    rollups_refresh(days=[TODAY], now=NOW)

    platform = DailyPlatformRollup.objects.get(date=TODAY)
    assert (platform.channels, platform.created_queued, platform.created_published, platform.published) == (2, 1, 1, 1)
    assert (platform.spend, platform.views, platform.revenue) == (D("1.2500"), 20, None)

    make_video(second, status=VideoStatus.QUEUED, created=at(TODAY, 4))
    rollups_refresh(days=[TODAY], channel_ids=[second.pk], now=NOW)
    assert DailyPlatformRollup.objects.get(date=TODAY).created_queued == 2

    Video.objects.all().delete()
    ChannelStatsSnapshot.objects.all().delete()
    rollups_refresh(days=[TODAY], now=NOW)
    assert not DailyPlatformRollup.objects.filter(date=TODAY).exists()
