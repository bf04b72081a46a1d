"""The channel API's ``youtube`` object (channels.ports), the events endpoint, and what a customer never sees."""

import json

import pytest

from channels.models import Channel, ChannelStatus
from channels.ports import youtube_summaries
from channels.services import channel_bind, channel_event_record, channel_unbind, channel_youtube_flag
from channels.tests.factories import ChannelFactory, bound_channel
from youtube_pool.tests.factories import YouTubeAccountFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels"
NOT_CONNECTED = {
    "connected": False,
    "channel_id": None,
    "handle": "",
    "account_state": None,
    "uploads_today": 0,
    "upload_cap": 0,
}


def _events_url(channel) -> str:
    return f"{URL}/{channel.pk}/events"


# --- the youtube object --------------------------------------------------------------------------


def test_without_a_provider_every_channel_is_not_connected(auth_client, user, no_youtube_provider):
    bound = bound_channel(user=user)
    ChannelFactory(user=user)

    items = auth_client.get(URL).json()["items"]
    detail = auth_client.get(f"{URL}/{bound.pk}").json()

    assert [item["youtube"] for item in items] == [NOT_CONNECTED, NOT_CONNECTED]
    assert detail["youtube"] == NOT_CONNECTED
    # the channel's own YouTube channel id stays visible at the top level
    assert detail["youtube_channel_id"] == bound.youtube_channel_id


def test_the_provider_is_asked_once_per_page_for_the_bound_channels_only(auth_client, user, youtube_provider):
    account = YouTubeAccountFactory(channel_id="UCcook0000000000000001", channel_handle="@cook")
    bound = bound_channel(user=user, account=account)
    resting = bound_channel(user=user)
    unbound = ChannelFactory(user=user)
    youtube_provider.answers[resting.pk] = {
        "connected": True,
        "channel_id": resting.youtube_channel_id,
        "handle": "@rest",
        "account_state": "resting",
        "uploads_today": 5,
        "upload_cap": 5,
    }

    items = {item["id"]: item["youtube"] for item in auth_client.get(f"{URL}?limit=100").json()["items"]}

    assert len(youtube_provider.calls) == 1
    assert sorted(youtube_provider.calls[0], key=str) == sorted([bound.pk, resting.pk], key=str)
    assert items[str(bound.pk)] == {
        "connected": True,
        "channel_id": "UCcook0000000000000001",
        "handle": "@cook",
        "account_state": "ok",
        "uploads_today": 1,
        "upload_cap": 5,
    }
    assert items[str(resting.pk)]["account_state"] == "resting"
    assert items[str(resting.pk)]["uploads_today"] == 5
    assert items[str(unbound.pk)] == NOT_CONNECTED


def test_a_page_without_bound_channels_does_not_ask_the_provider(auth_client, user, youtube_provider):
    ChannelFactory.create_batch(3, user=user)

    auth_client.get(URL)

    assert youtube_provider.calls == []


@pytest.mark.parametrize("count", [2, 15])
def test_list_query_count_with_a_provider_does_not_grow_with_the_page(
    auth_client, user, count, youtube_provider, django_assert_num_queries
):
    for _ in range(count):
        bound_channel(user=user)

    # 1 authenticate the JWT's user + 1 page (short: no count); the test provider reads nothing
    with django_assert_num_queries(2):
        response = auth_client.get(f"{URL}?limit=100")

    items = response.json()["items"]
    assert len(items) == count
    assert all(item["youtube"]["connected"] for item in items)
    assert len(youtube_provider.calls) == 1
    assert len(youtube_provider.calls[0]) == count


@pytest.mark.parametrize("count", [2, 15])
def test_list_query_count_with_a_provider_that_reads_the_database(auth_client, user, count, django_assert_num_queries):
    """A provider that answers in one query (as the real one must) adds exactly one query per page."""
    from channels.ports import register_youtube_summary
    from youtube_pool.models import YouTubeAccount

    def provide(channels):
        accounts = YouTubeAccount.objects.in_bulk([c.youtube_account_id for c in channels])
        return {
            c.pk: {
                "connected": True,
                "channel_id": accounts[c.youtube_account_id].channel_id,
                "handle": accounts[c.youtube_account_id].channel_handle,
                "account_state": "ok",
                "uploads_today": accounts[c.youtube_account_id].uploads_today,
                "upload_cap": accounts[c.youtube_account_id].daily_upload_cap,
            }
            for c in channels
        }

    for _ in range(count):
        bound_channel(user=user)
    previous = register_youtube_summary(provide)
    try:
        with django_assert_num_queries(3):
            response = auth_client.get(f"{URL}?limit=100")
    finally:
        register_youtube_summary(previous)

    assert [item["youtube"]["upload_cap"] for item in response.json()["items"]] == [5] * count


def test_list_query_count_without_a_provider(auth_client, user, no_youtube_provider, django_assert_num_queries):
    for _ in range(4):
        bound_channel(user=user)

    with django_assert_num_queries(2):
        auth_client.get(f"{URL}?limit=100")


def test_detail_create_and_update_ask_the_provider_once(auth_client, user, youtube_provider, django_assert_num_queries):
    channel = bound_channel(user=user)

    with django_assert_num_queries(2):  # auth user + channel
        detail = auth_client.get(f"{URL}/{channel.pk}").json()
    patched = auth_client.patch(f"{URL}/{channel.pk}", {"name": "renamed"}, format="json").json()
    created = auth_client.post(URL, {"name": "new", "niche": "Tech"}, format="json").json()

    assert detail["youtube"]["account_state"] == "ok"
    assert patched["youtube"]["connected"] is True
    assert created["youtube"] == NOT_CONNECTED  # a new channel is not bound: nobody asked
    assert youtube_provider.calls == [[channel.pk], [channel.pk]]


def test_the_port_keeps_to_the_documented_shape_whatever_the_provider_answers(user):
    from channels.ports import register_youtube_summary

    channel = bound_channel(user=user)
    leaky = {
        channel.pk: {
            "connected": 1,
            "channel_id": "UCx",
            "handle": None,
            "account_state": "on_fire",
            "uploads_today": "3",
            "upload_cap": -2,
            "email": "pool@ytempire.example",
            "token": "ya29.leak",
            "other_accounts": ["x"],
        }
    }
    previous = register_youtube_summary(lambda channels: leaky)
    try:
        summary = youtube_summaries([channel])[channel.pk]
    finally:
        register_youtube_summary(previous)

    assert summary == {
        "connected": True,
        "channel_id": "UCx",
        "handle": "",
        "account_state": None,
        "uploads_today": 3,
        "upload_cap": 0,
    }


# --- failover_to_reserve is staff only -----------------------------------------------------------


def test_a_customer_cannot_set_failover_to_reserve(auth_client, user):
    channel = ChannelFactory(user=user)

    patched = auth_client.patch(f"{URL}/{channel.pk}", {"failover_to_reserve": True}, format="json")
    created = auth_client.post(URL, {"name": "x", "niche": "Tech", "failover_to_reserve": True}, format="json")

    assert patched.status_code == 400
    assert [e["field"] for e in patched.json()["errors"]] == ["failover_to_reserve"]
    assert created.status_code == 400
    channel.refresh_from_db()
    assert channel.failover_to_reserve is False
    assert Channel.objects.filter(user=user).count() == 1
    assert "failover_to_reserve" not in auth_client.get(f"{URL}/{channel.pk}").json()


def test_role_admin_cannot_set_failover_to_reserve_through_the_api_either(admin_client_api, user):
    channel = ChannelFactory(user=user)

    response = admin_client_api.patch(f"{URL}/{channel.pk}", {"failover_to_reserve": True}, format="json")

    assert response.status_code == 400
    channel.refresh_from_db()
    assert channel.failover_to_reserve is False


def test_activating_a_never_connected_channel_says_how_to_connect(auth_client, user):
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)

    response = auth_client.patch(f"{URL}/{channel.pk}", {"status": "active"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Connect the YouTube channel first (POST /api/v1/channels/{channel.pk}/youtube/connect)."
    }


# --- events --------------------------------------------------------------------------------------


def test_the_owner_reads_the_channel_history_newest_first_in_the_list_shape(auth_client, user, no_youtube_provider):
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    account = YouTubeAccountFactory(channel_handle="@mine")
    channel_bind(channel_id=channel.pk, account_id=account.pk, youtube_channel_id=account.channel_id, handle="@mine")
    channel_youtube_flag(channel_id=channel.pk, state="needs_reconnect", reason="Reconnect your YouTube channel.")
    auth_client.patch(f"{URL}/{channel.pk}", {"automation_enabled": False}, format="json")

    body = auth_client.get(_events_url(channel)).json()

    assert set(body) == {"items", "total", "page", "pages", "limit"}
    assert (body["total"], body["page"], body["pages"], body["limit"]) == (3, 1, 1, 10)
    assert [item["kind"] for item in body["items"]] == [
        "automation_off",
        "youtube_needs_reconnect",
        "youtube_connected",
    ]
    first = body["items"][-1]
    assert set(first) == {"id", "kind", "reason", "data", "at"}
    assert first["reason"] == "Connected to the YouTube channel @mine."
    assert first["data"] == {
        "youtube_channel_id": account.channel_id,
        "handle": "@mine",
        "from": "pending_oauth",
        "to": "active",
    }


def test_events_paginate_and_filter_by_kind(auth_client, user):
    channel = ChannelFactory(user=user)
    for index in range(12):
        channel_event_record(channel_id=channel.pk, kind="note" if index % 3 else "archived", reason=f"#{index}")

    second = auth_client.get(f"{_events_url(channel)}?limit=5&page=3").json()
    archived = auth_client.get(f"{_events_url(channel)}?kind=archived").json()
    nothing = auth_client.get(f"{_events_url(channel)}?kind=never_happened").json()

    assert (len(second["items"]), second["total"], second["pages"]) == (2, 12, 3)
    assert [e["reason"] for e in second["items"]] == ["#1", "#0"]
    assert archived["total"] == 4
    assert {e["kind"] for e in archived["items"]} == {"archived"}
    assert [e["reason"] for e in archived["items"]] == ["#9", "#6", "#3", "#0"]
    assert nothing == {"items": [], "total": 0, "page": 1, "pages": 0, "limit": 10}


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=Not%20A%20Kind", "kind"), ("kind=" + "a" * 41, "kind"), ("limit=0", "limit"), ("page=x", "page")],
)
def test_bad_event_parameters_are_400(auth_client, user, query, field):
    channel = ChannelFactory(user=user)

    response = auth_client.get(f"{_events_url(channel)}?{query}")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid request parameters"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_another_users_channel_events_are_404(other_client, user):
    channel = ChannelFactory(user=user)
    channel_event_record(channel_id=channel.pk, kind="archived", reason="secret")

    for path in (
        _events_url(channel),
        f"{URL}/not-a-uuid/events",
        f"{URL}/00000000-0000-0000-0000-000000000000/events",
    ):
        response = other_client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Channel not found"}


def test_events_need_authentication_and_role_admin_sees_them(api_client, admin_client_api, user):
    channel = ChannelFactory(user=user)
    channel_event_record(channel_id=channel.pk, kind="archived", reason="r")

    assert api_client.get(_events_url(channel)).status_code == 401
    assert admin_client_api.get(_events_url(channel)).json()["total"] == 1
    assert admin_client_api.get(_events_url(channel) + "/").json()["total"] == 1


def test_events_query_count(auth_client, user, django_assert_num_queries):
    channel = ChannelFactory(user=user)
    for _ in range(15):
        channel_event_record(channel_id=channel.pk, kind="note", reason="r")

    with django_assert_num_queries(3):  # auth user + channel + page (short: no count)
        response = auth_client.get(f"{_events_url(channel)}?limit=100")

    assert len(response.json()["items"]) == 15


def test_events_are_read_through_the_channel_index():
    from django.db import connection

    from accounts.tests.factories import UserFactory
    from channels.selectors import channel_event_list

    owner = UserFactory()
    channel = ChannelFactory(user=owner)
    channel_event_record(channel_id=channel.pk, kind="note", reason="r")
    sql, params = channel_event_list(user=owner, channel_id=channel.pk).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "channel_events_channel_at_idx" in plan, plan


# --- what a customer never sees ------------------------------------------------------------------


def test_a_customers_responses_carry_no_account_email_token_or_other_users_channel(
    auth_client, user, other_user, youtube_provider
):
    account = YouTubeAccountFactory(email="pool-mine@ytempire.example")
    mine = bound_channel(user=user, account=account)
    theirs = bound_channel(
        user=other_user,
        name="Their secret channel",
        account=YouTubeAccountFactory(email="pool-theirs@ytempire.example"),
    )
    # staff and workers write history with whatever they have at hand
    channel_youtube_flag(
        channel_id=mine.pk,
        state="needs_reconnect",
        reason="invalid_grant for pool-mine@ytempire.example with ya29.factory",
    )
    channel_unbind(channel_id=mine.pk, reason="token 1//factory revoked for pool-mine@ytempire.example")
    channel_bind(
        channel_id=mine.pk,
        account_id=account.pk,
        youtube_channel_id=account.channel_id,
        handle=account.channel_handle,
        actor="staff ops@ytempire.example",
    )
    mine.refresh_from_db()
    auth_client.patch(f"{URL}/{mine.pk}", {"status": "paused"}, format="json")

    bodies = [
        auth_client.get(f"{URL}?limit=100").json(),
        auth_client.get(f"{URL}/{mine.pk}").json(),
        auth_client.get(_events_url(mine)).json(),
        auth_client.patch(f"{URL}/{mine.pk}", {"status": "active"}, format="json").json(),
        auth_client.post(URL, {"name": "another", "niche": "Tech"}, format="json").json(),
    ]
    text = json.dumps(bodies)

    assert auth_client.get(_events_url(mine)).json()["total"] == 5
    for forbidden in (
        "@ytempire.example",
        "ya29.",
        "1//",
        "credentials",
        'token"',
        str(theirs.pk),
        theirs.name,
        theirs.youtube_channel_id,
        str(theirs.youtube_account_id),
        str(account.pk),
        '"youtube_account_id"',
        '"actor"',
    ):
        assert forbidden not in text, forbidden
