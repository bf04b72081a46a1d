"""``operations_overview`` against a hand-counted fixture (every number below is counted by hand).

NOW is 15:30 UTC on 2026-03-18, 08:30 in Los Angeles: the UTC day began at 00:00 UTC, YouTube's
(Pacific) day at 07:00 UTC. A video published at 06:30 UTC counts as published today (UTC) but
belongs to yesterday's quota day.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from analytics.rollups import rollups_refresh
from analytics.selectors import COST_BUCKETS, STATUSES, operations_overview
from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoEvent, VideoStatus
from videos.publishing.capacity import publishing_capacity
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory

from .conftest import NOW, TODAY, at, charge, hold, make_video

pytestmark = pytest.mark.django_db

S = VideoStatus
D = Decimal
YESTERDAY = TODAY - dt.timedelta(days=1)
MARCH_10 = dt.date(2026, 3, 10)
FEB_27 = dt.date(2026, 2, 27)


@pytest.fixture
def business(user, other_user):
    alpha = GoogleProjectFactory(name="alpha")
    beta = GoogleProjectFactory(name="beta")
    a1 = YouTubeAccountFactory(project=alpha, owner=user)
    b1 = YouTubeAccountFactory(project=beta)
    ch1 = ChannelFactory(
        user=user, youtube_account=a1, youtube_channel_id=a1.channel_id, status="active", daily_video_limit=5
    )
    ch2 = ChannelFactory(user=user, status="paused", daily_video_limit=3)
    ch3 = ChannelFactory(
        user=other_user, youtube_account=b1, youtube_channel_id=b1.channel_id, status="active", daily_video_limit=4
    )
    today = lambda h, m=0: at(TODAY, h, m)  # noqa: E731
    v = SimpleNamespace()
    # --- today (UTC) ---
    v.v1 = make_video(ch1, status=S.QUEUED, created=today(9), estimated_cost=D("0.5"))
    v.v2 = make_video(ch1, status=S.PROCESSING, created=today(9, 5))
    v.v3 = make_video(
        ch1,
        created=today(9),
        published=today(10),
        youtube_account_used=a1,
        estimated_cost=D("0.50"),
    )
    v.v4 = make_video(
        ch1,
        created=today(8),
        published=today(14, 10),
        youtube_account_used=a1,
        estimated_cost=D("1.00"),
        optimization_level="premium",
    )
    v.v5 = make_video(ch1, status=S.FAILED, created=today(11))
    v.v6 = make_video(
        ch3,
        created=at(YESTERDAY, 22),
        published=today(8),
        youtube_account_used=b1,
        estimated_cost=D("1.20"),
    )
    v.v7 = make_video(ch3, status=S.CANCELLED, created=today(12))
    v.v13 = make_video(
        ch3,
        created=today(6),
        published=today(6, 30),  # 23:30 yesterday in Los Angeles
        youtube_account_used=b1,
        total_cost=D("0.10"),
        estimated_cost=D("0.20"),
    )
    VideoEvent.objects.create(video=v.v4, reason="retried by staff", data={"staff": True, "staff_id": "1"})
    VideoEvent.objects.create(video=v.v3, reason="uploaded", data={"step": "upload"})
    # --- older ---
    v.v8 = make_video(ch1, status=S.FAILED, created=NOW - dt.timedelta(days=3))
    v.v9 = make_video(ch1, status=S.FAILED, created=NOW - dt.timedelta(days=10))
    Video.objects.filter(pk=v.v8.pk).update(updated_at=NOW - dt.timedelta(days=3))
    Video.objects.filter(pk=v.v9.pk).update(updated_at=NOW - dt.timedelta(days=10))
    v.v10 = make_video(
        ch1,
        created=at(MARCH_10, 9),
        published=at(MARCH_10, 11),
        estimated_cost=D("1.80"),
        optimization_level="economy",
    )
    v.v11 = make_video(ch3, status=S.FAILED, created=at(MARCH_10, 10))
    Video.objects.filter(pk=v.v11.pk).update(updated_at=at(MARCH_10, 10))
    v.v12 = make_video(
        ch1,
        created=at(FEB_27, 9),
        published=at(FEB_27 + dt.timedelta(days=1), 9),
        estimated_cost=D("2.50"),
    )
    # --- the ledger (it keeps each video's total_cost) and holds ---
    charge(v.v3, "0.40")
    charge(v.v4, "1.10")
    charge(v.v6, "0.90")
    charge(v.v1, "0.05")
    hold(v.v1, "0.30")
    hold(v.v2, "0.20")
    hold(v.v7, "0.50", expires=NOW - dt.timedelta(minutes=1))  # expired: not held any more
    hold(v.v6, "0.70", status="settled")
    hold(v.v6, "0.25")
    charge(v.v10, "2.00", day=MARCH_10)
    charge(v.v11, "0.50", day=MARCH_10)
    charge(v.v12, "3.25", day=FEB_27)
    # past days are served from the rollups (as the beat leaves them)
    rollups_refresh(days=[FEB_27, FEB_27 + dt.timedelta(days=1), MARCH_10, YESTERDAY], now=NOW)
    return SimpleNamespace(user=user, other=other_user, ch1=ch1, ch2=ch2, ch3=ch3, a1=a1, b1=b1, **vars(v))


def _statuses(**counts) -> dict:
    return {status: counts.get(status, 0) for status in STATUSES}


def _day(overview, series: str, day: dt.date) -> dict:
    return next(row for row in overview["series"][series] if row["date"] == day)


def test_the_platform_today(business):
    overview = operations_overview(now=NOW)

    assert overview["scope"] == "platform" and overview["generated_at"] == NOW
    assert overview["today"] == {
        "date": TODAY,
        "videos_by_status": _statuses(queued=1, processing=1, published=3, failed=1, cancelled=1),
        "published": 4,  # v3, v4, v6, v13 (v6 was created yesterday)
        "target": 50,
        "automation_rate": 0.75,  # v4 had a staff action
        "failed_needing_attention": 2,  # v5 and v8; v9 failed 10 days ago
    }


def test_the_platform_money(business):
    money = operations_overview(now=NOW)["money"]

    assert money["spend_today"] == D("2.4500")
    assert money["held_today"] == D("0.7500")  # 0.30 + 0.20 + 0.25; expired and settled holds are not held
    assert money["daily_budget"] == D("150.0000") and money["monthly_budget"] == D("4500.0000")
    assert money["spend_month"] == D("4.9500")  # March 10 (2.00 + 0.50, rollups) + today (2.45, live)
    # published in the last 30 days: 0.10, 0.40, 0.90, 1.10, 2.00, 3.25
    assert money["cost_per_video"] == {
        "mean": D("1.2917"),
        "p95": D("3.2500"),
        "target": D("1.0000"),
        "limit": D("3.0000"),
        "videos": 6,
    }
    assert money["estimate_vs_actual"] == [
        {"level": "economy", "estimate": D("1.8000"), "actual": D("2.0000"), "videos": 1},
        {"level": "standard", "estimate": D("1.1000"), "actual": D("1.1625"), "videos": 4},
        {"level": "premium", "estimate": D("1.0000"), "actual": D("1.1000"), "videos": 1},
    ]


def test_the_platform_series(business):
    series = operations_overview(now=NOW)["series"]

    assert [row["date"] for row in series["spend_per_day"]] == [
        dt.date(2026, 2, 17) + dt.timedelta(days=i) for i in range(30)
    ]
    spend = {row["date"]: row["spend"] for row in series["spend_per_day"] if row["spend"]}
    assert spend == {FEB_27: D("3.2500"), MARCH_10: D("2.5000"), TODAY: D("2.4500")}
    assert {row["budget"] for row in series["spend_per_day"]} == {D("150.0000")}
    videos = {row["date"]: row for row in series["videos_per_day"]}
    assert len(videos) == 30
    assert videos[FEB_27] == {"date": FEB_27, **_statuses(published=1)}
    assert videos[MARCH_10] == {"date": MARCH_10, **_statuses(published=1, failed=1)}
    assert videos[YESTERDAY] == {"date": YESTERDAY, **_statuses(published=1)}  # v6, by its current status
    assert videos[TODAY] == {"date": TODAY, **_statuses(queued=1, processing=1, published=3, failed=1, cancelled=1)}
    assert series["cost_distribution"] == [
        {
            "bucket": label,
            "videos": 1 if label in {"0.00-0.25", "0.25-0.50", "0.75-1.00", "1.00-1.25", "2.00-2.25", "3.00+"} else 0,
        }
        for label, _low, _high in COST_BUCKETS
    ]
    assert [row["bucket"] for row in series["cost_distribution"]][-1] == "3.00+" and len(COST_BUCKETS) == 13
    quota = {
        row["project"]: {h["hour"]: h["uploads"] for h in row["hours"] if h["uploads"]}
        for row in series["quota_by_project_today"]
    }
    # Pacific hours: v3 10:00 UTC = 03:00, v4 14:10 UTC = 07:10, v6 08:00 UTC = 01:00; v13 was yesterday's
    assert quota == {"alpha": {3: 1, 7: 1}, "beta": {1: 1}}
    assert all(len(row["hours"]) == 24 for row in series["quota_by_project_today"])


def test_the_platform_capacity_is_the_publishing_capacity(business):
    capacity = operations_overview(now=NOW)["capacity"]
    expected = publishing_capacity(now=NOW)

    assert set(capacity) == {"uploads_possible_today", "next_reset_at", "projects", "accounts"}
    assert capacity == {key: expected[key] for key in capacity}
    assert capacity["next_reset_at"] == dt.datetime(2026, 3, 19, 7, 0, tzinfo=dt.UTC)  # Pacific midnight


def test_a_customer_sees_only_their_channels(business):
    overview = operations_overview(user=business.user, now=NOW)

    assert overview["scope"] == "user"
    assert overview["today"] == {
        "date": TODAY,
        "videos_by_status": _statuses(queued=1, processing=1, published=2, failed=1),
        "published": 2,
        "target": 5,  # ch1 (active); ch2 is paused
        "automation_rate": 0.5,
        "failed_needing_attention": 2,
    }
    money = overview["money"]
    assert (money["spend_today"], money["held_today"], money["spend_month"]) == (D("1.5500"), D("0.5000"), D("3.5500"))
    assert money["cost_per_video"]["videos"] == 4
    assert (money["cost_per_video"]["mean"], money["cost_per_video"]["p95"]) == (D("1.6875"), D("3.2500"))
    assert _day(overview, "spend_per_day", MARCH_10)["spend"] == D("2.0000")
    assert _day(overview, "videos_per_day", MARCH_10) == {"date": MARCH_10, **_statuses(published=1)}
    capacity = overview["capacity"]
    assert [row["id"] for row in capacity["accounts"]] == [business.a1.pk]
    assert capacity["accounts"][0]["channel"] == {"id": str(business.ch1.pk), "name": business.ch1.name}
    assert [row["name"] for row in capacity["projects"]] == ["alpha"]
    # a1 takes 5 a day; v1 and v2 are already on their way
    assert capacity["uploads_possible_today"] == 3 == capacity["projects"][0]["uploads_possible"]
    assert [row["project"] for row in overview["series"]["quota_by_project_today"]] == ["alpha"]


def test_role_admin_is_the_platform(business, platform_admin):
    assert operations_overview(user=platform_admin, now=NOW)["scope"] == "platform"


def test_past_days_come_from_the_rollups_and_today_is_live(business):
    charge(business.v10, "-2.00", day=MARCH_10)  # a correction the rollups have not seen yet
    charge(business.v3, "0.55")  # today: seen at once

    overview = operations_overview(now=NOW)

    assert _day(overview, "spend_per_day", MARCH_10)["spend"] == D("2.5000")
    assert overview["money"]["spend_today"] == D("3.0000")
    rollups_refresh(days=[MARCH_10], now=NOW)
    assert _day(operations_overview(now=NOW), "spend_per_day", MARCH_10)["spend"] == D("0.5000")


def test_a_range_picks_the_series_days(business):
    overview = operations_overview(now=NOW, date_from=MARCH_10, date_to=TODAY + dt.timedelta(days=2))

    assert [row["date"] for row in overview["series"]["spend_per_day"]][0] == MARCH_10
    assert len(overview["series"]["videos_per_day"]) == 11
    future = _day(overview, "videos_per_day", TODAY + dt.timedelta(days=1))
    assert future == {"date": TODAY + dt.timedelta(days=1), **_statuses()}
    assert overview["money"]["spend_month"] == D("4.9500")  # the month does not depend on the range


def test_an_empty_platform(db):
    overview = operations_overview(now=NOW)

    assert overview["today"]["automation_rate"] is None and overview["today"]["published"] == 0
    assert overview["money"]["cost_per_video"]["mean"] is None and overview["money"]["cost_per_video"]["p95"] is None
    assert overview["money"]["spend_today"] == D("0.0000")
    assert [row["videos"] for row in overview["money"]["estimate_vs_actual"]] == [0, 0, 0]
    assert overview["capacity"]["projects"] == [] and overview["series"]["quota_by_project_today"] == []
    assert len(overview["series"]["spend_per_day"]) == 30


def test_each_cost_falls_in_one_step_lower_bound_included(user):
    channel = ChannelFactory(user=user)
    costs = {"economy": ["0.0000", "0.2499", "0.2500", "2.9999"], "premium": ["3.0000", "4.1000"]}
    for level, amounts in costs.items():
        for amount in amounts:
            make_video(
                channel,
                published=NOW - dt.timedelta(days=1),
                total_cost=D(amount),
                estimated_cost=D("1.00"),
                optimization_level=level,
            )

    money, series = operations_overview(now=NOW)["money"], operations_overview(now=NOW)["series"]
    counts = {row["bucket"]: row["videos"] for row in series["cost_distribution"] if row["videos"]}
    assert counts == {"0.00-0.25": 2, "0.25-0.50": 1, "2.75-3.00": 1, "3.00+": 2}
    per_level = {row["level"]: row for row in money["estimate_vs_actual"]}
    assert per_level["economy"] == {"level": "economy", "estimate": D("1.0000"), "actual": D("0.8750"), "videos": 4}
    assert per_level["premium"] == {"level": "premium", "estimate": D("1.0000"), "actual": D("3.5500"), "videos": 2}
    assert per_level["standard"] == {"level": "standard", "estimate": None, "actual": None, "videos": 0}
    assert money["cost_per_video"]["mean"] == D("1.7666") and money["cost_per_video"]["p95"] == D("4.1000")


def test_a_customer_without_channels(user):
    overview = operations_overview(user=user, now=NOW)

    assert overview["today"]["target"] == 0 and overview["capacity"]["accounts"] == []
    assert overview["money"]["spend_month"] == D("0.0000")


def test_query_counts_are_bounded(business, django_assert_num_queries, user):
    # today (2), spend, held, rollups, cost per level and step, p95, quota hours, capacity (4)
    with django_assert_num_queries(12):
        operations_overview(now=NOW)
    # + the customer's channels; capacity: upload room (4) with their accounts and the projects
    with django_assert_num_queries(13):
        operations_overview(user=user, now=NOW)


def test_the_query_count_does_not_grow_with_the_data(business, django_assert_num_queries):
    for n in range(20):
        make_video(business.ch3, created=at(TODAY, 13), published=at(TODAY, 13, n), total_cost=D("0.33"))
    with django_assert_num_queries(12):
        operations_overview(now=NOW)
