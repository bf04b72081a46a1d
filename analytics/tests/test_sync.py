"""The YouTube statistics and revenue sync, against the local fake Google/YouTube server.

The real google-api-python-client runs against the fake (channels.list / videos.list with
part=statistics, YouTube Analytics v2 reports.query); only the endpoints are local."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from googleapiclient.errors import HttpError

from analytics.models import (
    ChannelRevenueDay,
    ChannelStatsSnapshot,
    ChannelStatsSync,
    DailyChannelRollup,
    SyncOutcome,
    VideoStatsSnapshot,
)
from analytics.sync import channel_stats_sync, youtube_stats_sync
from channels.models import Channel
from channels.tests.factories import ChannelFactory
from videos.models import Video
from youtube_pool.conf import MONETARY_SCOPE, pacific_tz
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import account_deactivate, account_rest, oauth_complete, oauth_start
from youtube_pool.services.api import youtube_read
from youtube_pool.services.credentials import account_granted_scopes
from youtube_pool.services.errors import http_error_reason
from youtube_pool.tests.conftest import consent
from ytempire.core.exceptions import ApplicationError

from .conftest import WITH_REVENUE, connect, make_project, make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(youtube):
    return make_project(youtube, "stats")


def _published(channel, yt, fake, n: int, *, views=lambda i: 10 * i, **stats):
    """``n`` videos published on the channel, each on the fake with its statistics."""
    videos = []
    for i in range(n):
        youtube_id = fake.add_video(yt.channel_id, views=views(i), likes=i, comments=1, **stats)
        videos.append(make_video(channel, youtube_video_id=youtube_id, title=f"v{i}"))
    return videos


def _data_api_calls(fake, path: str) -> list[dict]:
    return [call for call in fake.calls if call["path"] == path]


def test_a_channel_is_read_through_its_own_account_in_batches_of_50_and_charged(youtube, project):
    channel, account, yt = connect(youtube, project, "creator@example.com", views=12_345, subscribers=678)
    videos = _published(channel, yt, youtube, 120)
    other, other_account, other_yt = connect(youtube, project, "other@example.com", views=5)

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.SYNCED and result.videos == 120
    listed = _data_api_calls(youtube, "/youtube/v3/videos")
    assert [len(call["query"]["id"].split(",")) for call in listed] == [50, 50, 20]
    assert all(call["query"]["part"] == "statistics" for call in listed)
    # every call carried this channel's own token, never the other channel's account
    assert {call["channel_id"] for call in youtube.calls} == {yt.channel_id}
    # 1 channels.list + 3 videos.list, 1 unit each, on our meter and on Google's
    project.refresh_from_db()
    assert project.units_used == 4 == youtube.projects[project.client_id].used["units"]
    account.refresh_from_db()
    assert account.quota_used_today == 4
    channel.refresh_from_db()
    assert (channel.total_views, channel.total_subscribers) == (12_345, 678)
    snapshot = ChannelStatsSnapshot.objects.get(channel=channel)
    assert (snapshot.view_count, snapshot.subscriber_count, snapshot.video_count) == (12_345, 678, 120)
    assert snapshot.date == timezone.now().astimezone(dt.UTC).date()
    video = Video.objects.get(pk=videos[7].pk)
    assert (video.view_count, video.like_count, video.comment_count) == (70, 7, 1)
    assert video.stats_updated_at is not None
    assert VideoStatsSnapshot.objects.filter(video__channel=channel).count() == 120
    assert ChannelStatsSync.objects.get(channel=channel).outcome == SyncOutcome.SYNCED
    other.refresh_from_db()
    assert other.total_views == 0  # untouched


def test_snapshots_are_one_per_day_and_the_last_reading_wins(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com", views=100)
    (video,) = _published(channel, yt, youtube, 1, views=lambda i: 5)

    channel_stats_sync(channel_id=channel.pk)
    yt.view_count = 150
    youtube.set_video_stats(video.youtube_video_id, views=9, likes=None, comments=None)
    channel_stats_sync(channel_id=channel.pk)

    assert list(ChannelStatsSnapshot.objects.filter(channel=channel).values_list("view_count", flat=True)) == [150]
    snapshot = VideoStatsSnapshot.objects.get(video=video)
    # likes hidden and comments disabled: YouTube leaves the fields out; we store null, not 0
    assert (snapshot.view_count, snapshot.like_count, snapshot.comment_count) == (9, None, None)
    video.refresh_from_db()
    assert (video.view_count, video.like_count, video.comment_count) == (9, None, None)


def test_a_hidden_subscriber_count_keeps_the_last_known_total(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com", views=10, subscribers=40)
    channel_stats_sync(channel_id=channel.pk)
    yt.hidden_subscribers = True

    channel_stats_sync(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.total_subscribers == 40
    assert ChannelStatsSnapshot.objects.get(channel=channel).subscriber_count is None


def test_revenue_is_null_not_zero_without_the_monetary_scope(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com")
    _published(channel, yt, youtube, 2, revenue="4.50")
    Channel.objects.filter(pk=channel.pk).update(total_revenue_cents=999)  # as if authorised before
    Video.objects.filter(channel=channel).update(estimated_revenue=Decimal("1.0000"))

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.revenue == "not_authorised"
    channel.refresh_from_db()
    assert channel.total_revenue_cents is None
    assert set(Video.objects.filter(channel=channel).values_list("estimated_revenue", flat=True)) == {None}
    assert not _data_api_calls(youtube, "/v2/reports")  # never asked without the scope
    assert not ChannelRevenueDay.objects.exists()


def test_revenue_with_the_scope_fills_the_days_the_total_and_the_videos(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com", scopes=WITH_REVENUE)
    earner, idle = _published(channel, yt, youtube, 2)
    youtube.set_video_stats(earner.youtube_video_id, views=100, revenue="3.2501")
    today = timezone.now().astimezone(pacific_tz()).date()  # YouTube's day
    youtube.set_revenue(yt.channel_id, today - dt.timedelta(days=3), "1.2345", views=100)
    youtube.set_revenue(yt.channel_id, today - dt.timedelta(days=2), "2.0156", views=150)
    youtube.set_revenue(yt.channel_id, today - dt.timedelta(days=60), "50.00")  # outside the 28-day window

    report = youtube_stats_sync(channel_id=channel.pk)

    (result,) = report.results
    assert result.revenue == "read"
    days = dict(ChannelRevenueDay.objects.filter(channel=channel).values_list("date", "revenue"))
    assert days == {
        today - dt.timedelta(days=3): Decimal("1.2345"),
        today - dt.timedelta(days=2): Decimal("2.0156"),
    }
    channel.refresh_from_db()
    assert channel.total_revenue_cents == 325  # $3.2501 -> 325 cents
    earner.refresh_from_db()
    idle.refresh_from_db()
    # the top-videos report listed fewer than 200 videos: every other published video earned 0
    assert (earner.estimated_revenue, idle.estimated_revenue) == (Decimal("3.2501"), Decimal("0.0000"))
    reports = _data_api_calls(youtube, "/v2/reports")
    assert [call["query"]["dimensions"] for call in reports] == ["day", "video"]
    assert reports[0]["query"]["ids"] == "channel==MINE" and reports[0]["query"]["metrics"] == "estimatedRevenue,views"
    assert reports[1]["query"]["sort"] == "-estimatedRevenue" and reports[1]["query"]["maxResults"] == "200"
    # the rollups of the days the sync changed were refreshed at the end of the run
    rolled = dict(
        DailyChannelRollup.objects.filter(channel=channel, revenue__isnull=False).values_list("date", "revenue")
    )
    assert rolled == days


def test_revenue_is_read_again_only_after_six_hours(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com", scopes=WITH_REVENUE)
    now = timezone.now()
    channel_stats_sync(channel_id=channel.pk, now=now)

    soon = channel_stats_sync(channel_id=channel.pk, now=now + dt.timedelta(hours=1))
    later = channel_stats_sync(channel_id=channel.pk, now=now + dt.timedelta(hours=7))

    assert (soon.revenue, later.revenue) == ("not_due", "read")


def test_youtube_refusing_revenue_is_not_authorised(youtube, project):
    """A channel outside the Partner Program: Analytics answers a bare 403 Forbidden."""
    channel, account, _yt = connect(youtube, project, "creator@example.com", scopes=WITH_REVENUE)
    youtube.fail_next(status=403, reason="forbidden", message="Forbidden", match="analytics")

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.SYNCED and result.revenue == "not_authorised"
    channel.refresh_from_db()
    assert channel.total_revenue_cents is None
    account.refresh_from_db()
    assert account.consecutive_errors == 0  # a refusal of revenue says nothing about the account's health


def test_the_fake_speaks_google_analytics_errors(youtube, project):
    """The error bodies the sync relies on, as Google sends them."""
    _channel, account, _yt = connect(youtube, project, "creator@example.com")
    other = youtube.add_channel("someone@example.com")

    def query(**params):
        base = {"ids": "channel==MINE", "startDate": "2026-01-01", "endDate": "2026-01-31", "metrics": "views"}
        return lambda yta: yta.reports().query(**{**base, "dimensions": "day", **params})

    def refusal(**params):
        with pytest.raises(ApplicationError) as caught:
            youtube_read(
                account=account,
                method="youtubeAnalytics.reports.query",
                api="youtubeAnalytics",
                record_result=False,
                build_request=query(**params),
            )
        cause = caught.value.__cause__
        assert isinstance(cause, HttpError)
        return http_error_reason(cause)

    assert refusal(metrics="estimatedRevenue")[:2] == (403, "forbidden")
    assert refusal(ids=f"channel=={other.channel_id}")[:2] == (403, "forbidden")
    assert refusal(dimensions="video")[:2] == (400, "badRequest")  # the top-videos report needs sort + maxResults
    status, reason, message = refusal(dimensions="country")
    assert (status, reason) == (400, "badRequest") and "available_reports" in message
    table = youtube_read(
        account=account,
        method="youtubeAnalytics.reports.query",
        api="youtubeAnalytics",
        record_result=False,
        build_request=query(),
    )
    assert table == {
        "kind": "youtubeAnalytics#resultTable",
        "columnHeaders": [
            {"name": "day", "columnType": "DIMENSION", "dataType": "STRING"},
            {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
        ],
    }  # no data: Google leaves "rows" out


def test_an_exhausted_project_is_skipped_without_a_call_and_retried_next_hour(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com", views=7)
    # 80% of 10,000 units is 8,000, less 50 units for each of the 100 uploads the project can still make
    GoogleProject.objects.filter(pk=project.pk).update(units_used=3_000)

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.SKIPPED and "quota" in result.detail
    assert youtube.calls == []
    assert ChannelStatsSync.objects.get(channel=channel).synced_at is None
    # after uploads the room they needed is no longer kept: reads may spend it
    GoogleProject.objects.filter(pk=project.pk).update(uploads_used=100)
    assert channel_stats_sync(channel_id=channel.pk).outcome == SyncOutcome.SYNCED


def test_reads_stop_at_the_line_mid_channel_and_resume_where_they_stopped(youtube, project):
    channel, _account, yt = connect(youtube, project, "creator@example.com")
    _published(channel, yt, youtube, 120)
    # room for exactly 3 reads: 8,000 - 5,000 kept for uploads - 2,997 used
    GoogleProject.objects.filter(pk=project.pk).update(units_used=2_997)

    first = channel_stats_sync(channel_id=channel.pk)

    assert (first.outcome, first.calls, first.videos) == (SyncOutcome.PARTIAL, 3, 100)
    project.refresh_from_db()
    assert project.units_used == 3_000  # never past the line
    unread = set(
        Video.objects.filter(channel=channel, stats_updated_at__isnull=True).values_list("youtube_video_id", flat=True)
    )
    GoogleProject.objects.filter(pk=project.pk).update(units_used=0)

    second = channel_stats_sync(channel_id=channel.pk)

    assert second.outcome == SyncOutcome.SYNCED and len(unread) == 20
    # the 20 videos not read yet go first
    first_batch = _data_api_calls(youtube, "/youtube/v3/videos")[2]["query"]["id"].split(",")
    assert unread <= set(first_batch)


def test_resting_revoked_and_deactivated_accounts_are_skipped(youtube, project):
    resting, resting_account, _ = connect(youtube, project, "resting@example.com")
    account_rest(account=resting_account, hours=24)
    revoked, revoked_account, _ = connect(youtube, project, "revoked@example.com")
    YouTubeAccount.objects.filter(pk=revoked_account.pk).update(needs_reauth=True, is_active=False)
    off, off_account, _ = connect(youtube, project, "off@example.com")
    account_deactivate(account=off_account, reason="staff")

    report = youtube_stats_sync()

    assert report.skipped == 3 and report.synced == 0
    assert report.reasons == {
        "account resting": 1,
        "account needs reconnecting": 1,
        "account deactivated": 1,
    }
    assert youtube.calls == []


def test_a_token_revoked_at_google_fails_the_channel_and_marks_the_account(youtube, project):
    channel, account, _yt = connect(youtube, project, "creator@example.com")
    youtube.revoke(account.fake_refresh_token)

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.FAILED
    account.refresh_from_db()
    assert account.current_state() == "needs_reconnect"
    # next hour it is skipped, not retried against Google
    assert channel_stats_sync(channel_id=channel.pk).detail == "account needs reconnecting"


def test_an_answer_for_another_youtube_channel_is_not_stored(youtube, project):
    channel, _account, _yt = connect(youtube, project, "creator@example.com", views=99)
    Channel.objects.filter(pk=channel.pk).update(youtube_channel_id="UCsomebodyelse000000000")

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.FAILED
    assert not ChannelStatsSnapshot.objects.exists()
    channel.refresh_from_db()
    assert channel.total_views == 0


def test_a_channel_another_run_holds_is_left_alone(youtube, project):
    channel, _account, _yt = connect(youtube, project, "creator@example.com")
    ChannelStatsSync.objects.create(channel=channel, claimed_until=timezone.now() + dt.timedelta(minutes=5))

    result = channel_stats_sync(channel_id=channel.pk)

    assert result.outcome == SyncOutcome.SKIPPED and youtube.calls == []


def test_the_least_recently_read_channels_go_first_and_a_time_budget_defers_the_rest(youtube, project):
    old, _a, _ = connect(youtube, project, "old@example.com")
    never, _b, _ = connect(youtube, project, "never@example.com")
    recent, _c, _ = connect(youtube, project, "recent@example.com")
    ChannelStatsSync.objects.create(channel=old, synced_at=timezone.now() - dt.timedelta(hours=5))
    ChannelStatsSync.objects.create(channel=recent, synced_at=timezone.now() - dt.timedelta(minutes=50))

    report = youtube_stats_sync()
    deferred = youtube_stats_sync(time_budget_seconds=-1)

    assert [r.channel_id for r in report.results] == [never.pk, old.pk, recent.pk]
    assert deferred.deferred == 3 and deferred.results == []


def test_unbound_archived_and_sandbox_channels_are_not_read(youtube, project):
    ChannelFactory()  # not connected
    archived, _account, _ = connect(youtube, project, "archived@example.com", status="archived")
    sandbox, sandbox_account, _ = connect(youtube, project, "sandbox@example.com")
    YouTubeAccount.objects.filter(pk=sandbox_account.pk).update(is_sandbox=True)

    report = youtube_stats_sync()

    assert report.channels == 1 and report.skipped == 1
    assert report.reasons == {"sandbox account (no YouTube statistics)": 1}
    assert archived.pk not in [r.channel_id for r in report.results]


def test_a_channel_that_grants_the_monetary_scope_at_consent_has_its_revenue_read(youtube, settings, user):
    """End to end: the scope Google grants at consent is what the account stores and the sync checks."""
    settings.YOUTUBE_SCOPES = WITH_REVENUE
    make_project(youtube, "consent")
    yt = youtube.add_channel("creator@example.com")
    youtube.sign_in("creator@example.com")
    started = oauth_start(context={"kind": "customer"}, owner_id=user.pk)
    account = oauth_complete(**consent(youtube, started["authorization_url"])).account
    channel = ChannelFactory(user=user, youtube_account=account, youtube_channel_id=yt.channel_id)
    youtube.set_revenue(yt.channel_id, timezone.now().astimezone(pacific_tz()).date(), "0.42")

    result = channel_stats_sync(channel_id=channel.pk)

    assert MONETARY_SCOPE in account_granted_scopes(account)
    assert result.revenue == "read"
    channel.refresh_from_db()
    assert channel.total_revenue_cents == 42
