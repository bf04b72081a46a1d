import uuid

import pytest
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from channels.tests.factories import ChannelFactory
from videos.models import VideoStatus
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels"
LEAN_FIELDS = {
    "id",
    "name",
    "niche",
    "status",
    "automation_enabled",
    "total_videos",
    "total_views",
    "created_at",
    "youtube",
}


def _detail(channel) -> str:
    return f"{URL}/{channel.pk}"


# --- list -----------------------------------------------------------------------------


def test_list_returns_only_own_channels_in_the_paginated_shape(auth_client, user, other_user):
    mine = ChannelFactory.create_batch(3, user=user)
    ChannelFactory.create_batch(2, user=other_user)

    response = auth_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "page", "pages", "limit"}
    assert body["total"] == 3
    assert body["page"] == 1
    assert body["pages"] == 1
    assert body["limit"] == 10
    assert {item["id"] for item in body["items"]} == {str(c.pk) for c in mine}
    assert set(body["items"][0]) == LEAN_FIELDS
    # newest first
    assert [item["id"] for item in body["items"]] == [str(c.pk) for c in reversed(mine)]


def test_list_works_with_and_without_trailing_slash(auth_client, user):
    ChannelFactory(user=user)

    assert auth_client.get(URL).json()["total"] == 1
    assert auth_client.get(URL + "/").json()["total"] == 1


def test_platform_admin_sees_every_channel(admin_client_api, user, other_user):
    ChannelFactory(user=user)
    other = ChannelFactory(user=other_user)

    assert admin_client_api.get(URL).json()["total"] == 2
    assert admin_client_api.get(_detail(other)).status_code == 200


def test_anonymous_is_401(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Could not validate credentials"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=paused", {"Paused cooking"}),
        ("niche=technology", {"Gadget reviews", "Phone reviews"}),
        ("automation_enabled=false", {"Paused cooking"}),
        ("search=REVIEW", {"Gadget reviews", "Phone reviews"}),
        ("niche=Technology&search=phone", {"Phone reviews"}),
    ],
)
def test_list_filters(auth_client, user, query, expected):
    ChannelFactory(user=user, name="Gadget reviews", niche="Technology")
    ChannelFactory(user=user, name="Phone reviews", niche="Technology")
    ChannelFactory(
        user=user, name="Paused cooking", niche="Cooking", status=ChannelStatus.PAUSED, automation_enabled=False
    )

    response = auth_client.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert {item["name"] for item in response.json()["items"]} == expected


def test_list_ordering(auth_client, user):
    ChannelFactory(user=user, name="b", total_views=5)
    ChannelFactory(user=user, name="a", total_views=50)
    ChannelFactory(user=user, name="c", total_views=1)

    by_name = auth_client.get(f"{URL}?ordering=name").json()["items"]
    by_views = auth_client.get(f"{URL}?ordering=-total_views").json()["items"]

    assert [c["name"] for c in by_name] == ["a", "b", "c"]
    assert [c["name"] for c in by_views] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=deleted", "status"),
        ("ordering=password", "ordering"),
        ("automation_enabled=maybe", "automation_enabled"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ],
)
def test_invalid_list_parameters_are_400_in_the_validation_shape(auth_client, user, query, field):
    ChannelFactory(user=user)

    response = auth_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    assert [e["field"] for e in body["errors"]] == [field]


def test_pagination_edges(auth_client, user):
    ChannelFactory.create_batch(5, user=user)

    page2 = auth_client.get(f"{URL}?limit=2&page=2").json()
    last = auth_client.get(f"{URL}?limit=2&page=3").json()
    past = auth_client.get(f"{URL}?limit=2&page=9").json()
    full = auth_client.get(f"{URL}?limit=100").json()

    assert (len(page2["items"]), page2["total"], page2["pages"]) == (2, 5, 3)
    assert len(last["items"]) == 1
    assert past == {"items": [], "total": 5, "page": 9, "pages": 3, "limit": 2}
    assert len(full["items"]) == 5
    # A page whose offset no database could take is past the end all the same (found by the fuzz).
    huge = auth_client.get(f"{URL}?limit=34&page=3289287269617985071874048")
    assert huge.status_code == 200
    assert huge.json() == {"items": [], "total": 5, "page": 3289287269617985071874048, "pages": 1, "limit": 34}
    videos = auth_client.get(f"/api/v1/videos?limit=2&page={2**63}")
    assert videos.status_code == 200 and videos.json()["items"] == []


@pytest.mark.parametrize("count", [2, 15])
def test_list_query_count_does_not_grow_with_the_page(auth_client, user, count, django_assert_num_queries):
    ChannelFactory.create_batch(count, user=user)

    # 1 authenticate the JWT's user + 1 page (shorter than the limit: it tells the total, no count)
    with django_assert_num_queries(2):
        response = auth_client.get(f"{URL}?limit=100")

    assert len(response.json()["items"]) == count


def test_detail_query_count(auth_client, user, django_assert_num_queries):
    channel = ChannelFactory(user=user)

    with django_assert_num_queries(2):  # auth user + channel
        response = auth_client.get(_detail(channel))

    assert response.status_code == 200


def test_list_uses_the_user_index():
    """With sequential scans discouraged, the planner reaches channels through an index on user_id."""
    from django.db import connection

    from accounts.tests.factories import UserFactory
    from channels.selectors import channel_list

    owner = UserFactory()
    ChannelFactory.create_batch(3, user=owner)
    sql, params = channel_list(user=owner).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "channels_user_created_idx" in plan, plan


# --- detail / create ----------------------------------------------------------------


def test_detail_has_full_fields(auth_client, user):
    channel = ChannelFactory(user=user, upload_time_utc="14:30", settings={"voice": "calm"})

    body = auth_client.get(_detail(channel)).json()

    assert body["id"] == str(channel.pk)
    assert body["user_id"] == str(user.pk)
    assert body["upload_time_utc"] == "14:30"
    assert body["settings"] == {"voice": "calm"}
    for field in ("metadata", "daily_video_limit", "total_subscribers", "total_revenue_cents", "updated_at"):
        assert field in body


def test_create_applies_the_seed_defaults_and_trims(auth_client, user):
    response = auth_client.post(URL, {"name": "  Tech Reviews  ", "niche": " Technology "}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Tech Reviews"
    assert body["niche"] == "Technology"
    assert body["status"] == "pending_oauth"
    assert body["automation_enabled"] is True
    assert body["daily_video_limit"] == 5
    assert body["settings"] == {}
    assert body["total_videos"] == 0
    channel = Channel.objects.get(pk=body["id"])
    assert channel.user_id == user.pk


def test_create_with_all_fields(auth_client):
    payload = {
        "name": "Cooking",
        "niche": "Food",
        "description": "Recipes",
        "automation_enabled": False,
        "daily_video_limit": 3,
        "upload_time_utc": "09:05",
        "settings": {"style": "fast"},
    }

    body = auth_client.post(URL, payload, format="json").json()

    assert {k: body[k] for k in payload} == payload


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"niche": "Tech"}, "name"),
        ({"name": "x"}, "niche"),
        ({"name": "   ", "niche": "Tech"}, "name"),
        ({"name": "x" * 256, "niche": "Tech"}, "name"),
        ({"name": "x", "niche": "n" * 101}, "niche"),
        ({"name": "x", "niche": "Tech", "upload_time_utc": "25:00"}, "upload_time_utc"),
        ({"name": "x", "niche": "Tech", "upload_time_utc": "9:00"}, "upload_time_utc"),
        ({"name": "x", "niche": "Tech", "daily_video_limit": 0}, "daily_video_limit"),
        ({"name": "x", "niche": "Tech", "daily_video_limit": 101}, "daily_video_limit"),
        ({"name": "x", "niche": "Tech", "settings": [1, 2]}, "settings"),
        ({"name": "x", "niche": "Tech", "status": "active"}, "status"),
        ({"name": "x", "niche": "Tech", "user": "someone"}, "user"),
    ],
)
def test_create_validation_errors(auth_client, payload, field):
    response = auth_client.post(URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    assert field in [e["field"] for e in body["errors"]]
    assert Channel.objects.count() == 0


@pytest.mark.parametrize(
    ("tier", "limit", "message"),
    [
        ("free", 5, "Channel limit reached (5). Upgrade to Growth plan for more channels."),
        ("starter", 5, "Channel limit reached (5). Upgrade to Growth plan for more channels."),
        ("growth", 25, "Channel limit reached (25). Upgrade to Scale plan for more channels."),
        ("scale", 100, "Channel limit reached (100). Contact support for more channels."),
    ],
)
def test_create_over_the_channel_limit_is_403_naming_the_next_tier(client_for, tier, limit, message):
    from accounts.tests.factories import UserFactory

    owner = UserFactory(tier=tier, channel_limit=2)
    ChannelFactory.create_batch(2, user=owner)
    owner.channel_limit = limit
    owner.save(update_fields=["channel_limit"])
    ChannelFactory.create_batch(limit - 2, user=owner)

    response = client_for(owner).post(URL, {"name": "one more", "niche": "Tech"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert Channel.objects.filter(user=owner).count() == limit


def test_archived_channels_do_not_take_a_slot(auth_client, user):
    user.channel_limit = 1
    user.save(update_fields=["channel_limit"])
    ChannelFactory(user=user, status=ChannelStatus.ARCHIVED)

    assert auth_client.post(URL, {"name": "new", "niche": "Tech"}, format="json").status_code == 201
    assert auth_client.post(URL, {"name": "newer", "niche": "Tech"}, format="json").status_code == 403


# --- ownership ------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["get", "patch", "delete"])
def test_another_users_channel_is_404_in_every_verb(other_client, user, verb):
    channel = ChannelFactory(user=user, name="mine")

    response = getattr(other_client, verb)(_detail(channel), {"name": "stolen"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Channel not found"}
    channel.refresh_from_db()
    assert channel.name == "mine"


@pytest.mark.parametrize("channel_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_channel_is_404(auth_client, channel_id):
    response = auth_client.get(f"{URL}/{channel_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Channel not found"}


def test_put_is_not_allowed(auth_client, user):
    channel = ChannelFactory(user=user)

    assert auth_client.put(_detail(channel), {"name": "x", "niche": "y"}, format="json").status_code == 405


# --- update -----------------------------------------------------------------------------


def test_patch_updates_given_fields_only(auth_client, user):
    channel = ChannelFactory(user=user, name="old", niche="Tech", daily_video_limit=5)

    response = auth_client.patch(_detail(channel), {"name": "  new ", "upload_time_utc": "23:59"}, format="json")

    assert response.status_code == 200, response.json()
    channel.refresh_from_db()
    assert (channel.name, channel.niche, channel.upload_time_utc, channel.daily_video_limit) == (
        "new",
        "Tech",
        "23:59",
        5,
    )


@pytest.mark.parametrize(
    ("start", "to", "code"),
    [
        (ChannelStatus.ACTIVE, "paused", 200),
        (ChannelStatus.PAUSED, "active", 200),
        (ChannelStatus.PENDING_OAUTH, "active", 409),
        (ChannelStatus.SUSPENDED, "active", 409),
        (ChannelStatus.ARCHIVED, "active", 409),
        (ChannelStatus.ACTIVE, "suspended", 400),
        (ChannelStatus.ACTIVE, "archived", 400),
        (ChannelStatus.ACTIVE, "deleted", 400),
    ],
)
def test_patch_status_rules_for_customers(auth_client, user, start, to, code):
    channel = ChannelFactory(user=user, status=start)

    response = auth_client.patch(_detail(channel), {"status": to}, format="json")

    assert response.status_code == code, response.json()
    channel.refresh_from_db()
    assert channel.status == (to if code == 200 else start)


def test_platform_admin_may_suspend(admin_client_api, user):
    channel = ChannelFactory(user=user)

    response = admin_client_api.patch(_detail(channel), {"status": "suspended"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "suspended"


@pytest.mark.parametrize(
    "payload",
    [{}, {"metadata": {"x": 1}}, {"total_views": 10}, {"name": ""}, {"daily_video_limit": 500}],
)
def test_patch_validation(auth_client, user, payload):
    channel = ChannelFactory(user=user, name="same")

    response = auth_client.patch(_detail(channel), payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid request parameters"
    channel.refresh_from_db()
    assert channel.name == "same"
    assert channel.total_views == 0


# --- delete ----------------------------------------------------------------------------


def test_delete_without_published_videos_is_hard(auth_client, user):
    channel = ChannelFactory(user=user)
    VideoFactory(channel=channel, status=VideoStatus.FAILED)

    response = auth_client.delete(_detail(channel))

    assert response.status_code == 200
    assert response.json() == {"id": str(channel.pk), "deleted": "hard", "status": None, "detail": "Channel deleted."}
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_delete_with_published_videos_archives_and_cancels_unfinished(auth_client, user):
    channel = ChannelFactory(user=user)
    # As video_transition leaves a published video: with its published_at.
    VideoFactory(channel=channel, status=VideoStatus.PUBLISHED, published_at=timezone.now())
    queued = VideoFactory(channel=channel, status=VideoStatus.QUEUED)

    response = auth_client.delete(_detail(channel))

    assert response.status_code == 200
    assert response.json()["deleted"] == "soft"
    assert response.json()["status"] == "archived"
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ARCHIVED
    assert channel.automation_enabled is False
    queued.refresh_from_db()
    assert queued.status == VideoStatus.CANCELLED
    assert queued.events.get().reason.startswith("channel archived")
    # an archived channel is still readable, with its status
    assert auth_client.get(_detail(channel)).json()["status"] == "archived"


def test_openapi_documents_the_youtube_object_and_the_events_endpoint(api_client):
    schema = api_client.get("/api/v1/openapi.json", {"format": "json"}).json()

    summary = schema["components"]["schemas"]["YouTubeSummary"]
    assert set(summary["properties"]) == {
        "connected",
        "channel_id",
        "handle",
        "account_state",
        "uploads_today",
        "upload_cap",
    }
    channel = schema["components"]["schemas"]["ChannelOutput"]["properties"]
    assert "youtube" in channel and "youtube_account_id" not in channel and "failover_to_reserve" not in channel
    paths = schema["paths"]
    events = (paths.get("/api/v1/channels/{id}/events/") or paths["/api/v1/channels/{id}/events"])["get"]
    assert {p["name"] for p in events["parameters"]} >= {"id", "kind", "page", "limit"}
    page = schema["components"]["schemas"]["PaginatedChannelEventList"]
    assert set(page["properties"]) == {"items", "total", "page", "pages", "limit"}
