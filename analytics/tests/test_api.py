import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework.renderers import JSONRenderer

from analytics.models import ChannelStatsSync, DailyChannelRollup
from analytics.rollups import rollups_refresh
from analytics.selectors import operations_overview
from analytics.serializers import AnalyticsOverviewOutputSerializer
from channels.models import Channel
from channels.tests.factories import ChannelFactory
from videos.models import Video, VideoStatus
from youtube_pool.tests.factories import YouTubeAccountFactory

from .conftest import charge, make_video

pytestmark = pytest.mark.django_db

OVERVIEW = "/api/v1/analytics/overview"
VIDEOS = "/api/v1/analytics/videos"
D = Decimal


def _channel_url(channel) -> str:
    return f"/api/v1/analytics/channels/{channel.pk}"


@pytest.fixture
def data(user, other_user):
    now = timezone.now()
    account = YouTubeAccountFactory(owner=user)
    mine = ChannelFactory(user=user, name="Mine", youtube_account=account, youtube_channel_id=account.channel_id)
    theirs = ChannelFactory(user=other_user, name="Theirs")
    popular = make_video(mine, created=now - dt.timedelta(hours=2), published=now - dt.timedelta(hours=1))
    cheap = make_video(mine, created=now - dt.timedelta(days=2), published=now - dt.timedelta(days=2))
    unseen = make_video(mine, created=now - dt.timedelta(days=3), published=now - dt.timedelta(days=3))
    queued = make_video(mine, status=VideoStatus.QUEUED, created=now - dt.timedelta(minutes=5))
    foreign = make_video(theirs, created=now - dt.timedelta(hours=3), published=now - dt.timedelta(hours=2))
    Video.objects.filter(pk=popular.pk).update(view_count=1_000, total_cost=D("2.0000"), estimated_revenue=D("5"))
    Video.objects.filter(pk=cheap.pk).update(view_count=500, total_cost=D("0.5000"), estimated_revenue=D("9"))
    Video.objects.filter(pk=unseen.pk).update(view_count=0, total_cost=D("1.0000"))
    Video.objects.filter(pk=foreign.pk).update(view_count=9_999, total_cost=D("0.0100"))
    charge(popular, "2.00", day=now.date())
    charge(cheap, "0.50", day=now.date() - dt.timedelta(days=2))
    rollups_refresh(days=[now.date() - dt.timedelta(days=d) for d in range(1, 4)])
    return {"mine": mine, "theirs": theirs, "popular": popular, "cheap": cheap, "unseen": unseen, "queued": queued}


def _without_clock(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "generated_at"}


def _json(data) -> dict:
    return json.loads(JSONRenderer().render(data))


def test_the_overview_is_the_selector_rendered(auth_client, user, data):
    body = auth_client.get(OVERVIEW).json()
    expected = _json(AnalyticsOverviewOutputSerializer(operations_overview(user=user)).data)

    assert body["scope"] == "user"
    assert _without_clock(body) == _without_clock(expected)
    assert body["today"]["videos_by_status"]["queued"] == 1
    assert isinstance(body["money"]["spend_today"], float | int) and body["money"]["spend_today"] == 2.0


def test_role_admin_gets_the_platform(admin_client_api, data):
    body = admin_client_api.get(OVERVIEW).json()

    assert body["scope"] == "platform" and body["today"]["target"] == 50
    assert body["today"]["published"] >= 2


def test_the_overview_takes_a_range(auth_client, data):
    today = timezone.now().date()
    body = auth_client.get(OVERVIEW, {"from": (today - dt.timedelta(days=6)).isoformat(), "to": today.isoformat()})

    assert body.status_code == 200
    assert len(body.json()["series"]["spend_per_day"]) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"since": "2026-01-01"}, "since"),
    ],
)
def test_bad_ranges_are_a_clear_400(auth_client, query, field):
    response = auth_client.get(OVERVIEW, query)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and [error["field"] for error in body["errors"]] == [field]


def test_analytics_needs_a_login(api_client):
    assert api_client.get(OVERVIEW).status_code == 401


def test_a_channel_series_with_totals(auth_client, data):
    today = timezone.now().date()
    response = auth_client.get(
        _channel_url(data["mine"]), {"from": (today - dt.timedelta(days=2)).isoformat(), "to": today.isoformat()}
    )

    assert response.status_code == 200
    body = response.json()
    assert [day["date"] for day in body["days"]] == [(today - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert [day["published"] for day in body["days"]] == [1, 0, 1]  # today's count is live
    assert [day["spend"] for day in body["days"]] == [0.5, 0.0, 2.0]
    assert body["channel"]["revenue_authorised"] is False and body["channel"]["total_revenue"] is None
    assert body["totals"] == {
        "views": None,  # no readings yet
        "published": 2,
        "spend": 2.5,
        "revenue": None,
        "cost_per_1k_views": None,
        "roi": None,  # not authorised: no revenue, no ROI (never "-2.5")
    }
    assert body["timezones"] == {"days": "UTC", "spend": "UTC", "revenue": "America/Los_Angeles"}


def test_a_channel_with_revenue_has_an_roi(auth_client, data):
    channel = data["mine"]
    today = timezone.now().date()
    day = today - dt.timedelta(days=2)
    Channel.objects.filter(pk=channel.pk).update(total_revenue_cents=1_234)
    DailyChannelRollup.objects.filter(channel=channel, date=day).update(revenue=D("3.2000"), views=2_000)
    ChannelStatsSync.objects.create(channel=channel, synced_at=timezone.now())

    body = auth_client.get(_channel_url(channel), {"from": day.isoformat(), "to": day.isoformat()}).json()

    assert body["channel"]["total_revenue"] == 12.34 and body["channel"]["revenue_authorised"] is True
    assert body["channel"]["stats_synced_at"] is not None
    assert body["days"][0] == {
        "date": day.isoformat(),
        "views": 2_000,
        "subscribers": None,
        "published": 1,
        "spend": 0.5,
        "revenue": 3.2,
        "cost_per_1k_views": 0.25,
    }
    assert body["totals"]["roi"] == 2.7


def test_someone_elses_channel_is_a_404(auth_client, data, admin_client_api):
    assert auth_client.get(_channel_url(data["theirs"])).status_code == 404
    assert auth_client.get("/api/v1/analytics/channels/not-a-uuid").status_code == 404
    assert admin_client_api.get(_channel_url(data["theirs"])).status_code == 200


def test_top_videos_by_views_cost_per_view_and_revenue(auth_client, data):
    def order(by):
        response = auth_client.get(VIDEOS, {"order": by})
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    ids = {name: str(data[name].pk) for name in ("popular", "cheap", "unseen")}
    assert order("views") == [ids["popular"], ids["cheap"], ids["unseen"]]
    # 0.50/500 = 0.001 a view, 2.00/1000 = 0.002; no views last
    assert order("cost_per_view") == [ids["cheap"], ids["popular"], ids["unseen"]]
    assert order("revenue") == [ids["cheap"], ids["popular"], ids["unseen"]]  # null (not authorised) last


def test_top_videos_in_the_list_shape(auth_client, data):
    body = auth_client.get(VIDEOS, {"order": "cost_per_view", "limit": 2}).json()

    assert (body["total"], body["page"], body["pages"], body["limit"]) == (3, 1, 2, 2)
    first = body["items"][0]
    assert first["cost"] == 0.5 and first["views"] == 500 and first["revenue"] == 9.0
    assert first["cost_per_view"] == 0.001 and first["cost_per_1k_views"] == 1.0
    assert first["channel_name"] == "Mine"
    unseen = auth_client.get(VIDEOS, {"order": "cost_per_view", "page": 2, "limit": 2}).json()["items"][0]
    assert unseen["cost_per_view"] is None and unseen["cost_per_1k_views"] is None


@pytest.mark.parametrize("query", [{"order": "likes"}, {"limit": "101"}, {"page": "0"}, {"order": ""}])
def test_bad_video_queries_are_a_400(auth_client, query):
    assert auth_client.get(VIDEOS, query).status_code == 400


def test_api_query_counts(auth_client, data, django_assert_num_queries, admin_client_api):
    # The user the first time (JWT auth; then the identity cache and the throttles are in Redis), then
    # the selector's 13 for a customer, 12 for the platform.
    with django_assert_num_queries(14):
        assert auth_client.get(OVERVIEW).status_code == 200
    with django_assert_num_queries(4):  # channel, rollups, published today, spend today
        assert auth_client.get(_channel_url(data["mine"])).status_code == 200
    with django_assert_num_queries(2):  # count, page (channels joined)
        assert auth_client.get(VIDEOS, {"limit": 100}).status_code == 200
    with django_assert_num_queries(13):
        assert admin_client_api.get(OVERVIEW).status_code == 200
    with django_assert_num_queries(0):  # kept ANALYTICS_OVERVIEW_CACHE_SECONDS per caller and range
        assert admin_client_api.get(OVERVIEW).status_code == 200
        assert auth_client.get(OVERVIEW).status_code == 200


def test_the_overview_is_kept_briefly_per_caller_and_range(settings, auth_client, admin_client_api, data):
    first = auth_client.get(OVERVIEW).json()
    assert auth_client.get(OVERVIEW).json() == first  # the same answer, generated_at included
    other_range = auth_client.get(OVERVIEW, {"from": timezone.now().date().isoformat()}).json()
    assert other_range["generated_at"] != first["generated_at"]
    platform = admin_client_api.get(OVERVIEW).json()
    assert platform["scope"] == "platform" and first["scope"] == "user"  # never one caller's for another

    settings.ANALYTICS_OVERVIEW_CACHE_SECONDS = 0
    assert auth_client.get(OVERVIEW).json()["generated_at"] != first["generated_at"]


def test_kept_overviews_expire_at_spread_times_within_the_setting(settings, auth_client, data):
    """Answers computed together must not all expire together (each miss is a full computation)."""
    settings.ANALYTICS_OVERVIEW_CACHE_SECONDS = 20
    today = timezone.now().date()
    for day in range(30):  # 30 ranges of one caller: 30 entries stored within a second or two
        assert auth_client.get(OVERVIEW, {"from": (today - dt.timedelta(days=day)).isoformat()}).status_code == 200
    redis = get_redis_connection("default")
    ttls = [redis.pttl(key) / 1000 for key in redis.scan_iter(match=cache.make_key("analytics:overview:*"))]
    assert len(ttls) == 30
    assert all(14 <= ttl <= 20 for ttl in ttls), ttls
    assert max(ttls) - min(ttls) >= 2, ttls  # uniform over 15..20 s: 30 draws within 2 s is ~1e-9


def test_the_endpoints_are_documented(api_client):
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]

    documented = {path.rstrip("/") for path in paths}
    assert {
        "/api/v1/analytics/overview",
        "/api/v1/analytics/channels/{channel_id}",
        "/api/v1/analytics/videos",
    } <= documented
