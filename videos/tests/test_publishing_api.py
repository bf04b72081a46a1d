"""A channel publishes on its own YouTube channel: connect, bind, upload there, recover (issue 11).

Against the local fake Google OAuth + YouTube server (real google client libraries): customers
connect from the API, staff bind the platform's accounts, every upload lands on the channel's own
YouTube channel, a full or revoked account makes its channel's videos wait (never spill), a
reconnect resumes them, and a platform channel fails over to a reserve.
"""

import json
import urllib.parse
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from channels.models import Channel, ChannelEvent, ChannelStatus
from channels.tests.factories import ChannelFactory, bound_channel
from videos.models import Video, VideoStatus
from videos.pipeline.recovery import pipeline_dispatch
from videos.pipeline.runner import pipeline_run_step
from videos.publishing.binding import channel_bind_free_pool_account, channel_failover
from videos.tests.factories import VideoFactory
from youtube_pool.demo import create_demo_data as create_pool_demo
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import account_record_result, oauth_start
from youtube_pool.tests.conftest import connect_account, consent, make_project
from youtube_pool.tests.factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db
S = VideoStatus
AUTHORIZE = "/api/v1/youtube/oauth/authorize"
CALLBACK = "/api/v1/youtube/oauth/callback"
CAPACITY = "/api/v1/youtube/capacity"
FRONTEND = "https://app.example.test"


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_URL = FRONTEND


def _connect(channel) -> str:
    return f"/api/v1/channels/{channel.pk}/youtube/connect"


def _disconnect(channel) -> str:
    return f"/api/v1/channels/{channel.pk}/youtube/disconnect"


def _ready_video(channel, tmp_path, name: str = "v") -> Video:
    """A rendered video (file on disk, script and voice paid) waiting to be uploaded."""
    path = tmp_path / f"{name}.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"m" * 3000)
    return VideoFactory(
        channel=channel,
        status=S.READY,
        video_path=str(path),
        processing_completed_at=timezone.now(),
        metadata={"pipeline": {"script": {"done": True}, "voice": {"done": True}, "render": {"done": True}}},
    )


def _customer_connects(fake, client, api_client, channel, email: str, *, redirect_after: str = "") -> object:
    """The customer's whole connect flow: the API's URL, Google's consent in the browser, the callback."""
    fake.sign_in(email)
    started = client.post(_connect(channel), {"redirect_after": redirect_after} if redirect_after else {})
    assert started.status_code == 200, started.content
    return api_client.get(CALLBACK, consent(fake, started.json()["authorization_url"]))


# --- customers connect their own channel ----------------------------------------------------------


def test_a_customer_connects_and_the_channel_becomes_active_and_bound(fake_youtube, user, auth_client, api_client):
    make_project(fake_youtube, "alpha")
    yt = fake_youtube.add_channel("creator@example.com", handle="@creator")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    assert channel.status == ChannelStatus.PENDING_OAUTH

    started = auth_client.post(_connect(channel), {"redirect_after": f"{FRONTEND}/channels/{channel.pk}"})
    assert started.status_code == 200
    body = started.json()
    assert set(body) == {"authorization_url", "state", "expires_at"}
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(body["authorization_url"]).query))
    assert (query["access_type"], query["prompt"], query["code_challenge_method"]) == ("offline", "consent", "S256")
    assert query["state"] == body["state"]

    fake_youtube.sign_in("creator@example.com")
    callback = api_client.get(CALLBACK, consent(fake_youtube, body["authorization_url"]))

    assert callback.status_code == 302
    assert callback["Location"] == f"{FRONTEND}/channels/{channel.pk}?connected=1"
    channel.refresh_from_db()
    account = YouTubeAccount.objects.get(channel_id=yt.channel_id)
    assert (channel.status, channel.youtube_account_id, channel.youtube_channel_id) == (
        ChannelStatus.ACTIVE,
        account.pk,
        yt.channel_id,
    )
    assert account.owner_id == user.pk
    detail = auth_client.get(f"/api/v1/channels/{channel.pk}").json()
    assert detail["youtube"] == {
        "connected": True,
        "channel_id": yt.channel_id,
        "handle": "@creator",
        "account_state": "ok",
        "uploads_today": 0,
        "upload_cap": 5,
    }
    assert ChannelEvent.objects.filter(channel=channel, kind="youtube_connected").exists()


def test_connect_is_the_owners_only_and_checks_where_it_returns(fake_youtube, user, auth_client, other_client):
    make_project(fake_youtube, "alpha")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    assert other_client.post(_connect(channel)).status_code == 404
    assert auth_client.post("/api/v1/channels/not-a-uuid/youtube/connect").status_code == 404
    elsewhere = auth_client.post(_connect(channel), {"redirect_after": "https://evil.example.com/x"})
    assert elsewhere.status_code == 400
    assert [e["field"] for e in elsewhere.json()["errors"]] == ["redirect_after"]
    archived = ChannelFactory(user=user, status=ChannelStatus.ARCHIVED)
    assert auth_client.post(_connect(archived)).status_code == 409


def test_a_youtube_channel_already_bound_to_another_channel_is_refused(fake_youtube, user, auth_client, api_client):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("creator@example.com")
    first, second = (ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH) for _ in range(2))
    assert _customer_connects(fake_youtube, auth_client, api_client, first, "creator@example.com").status_code == 200

    refused = _customer_connects(fake_youtube, auth_client, api_client, second, "creator@example.com")

    assert refused.status_code == 400
    assert "already connected to another channel" in refused.json()["detail"]
    second.refresh_from_db()
    assert (second.youtube_account_id, second.status) == (None, ChannelStatus.PENDING_OAUTH)
    # With a frontend page to return to, the browser goes back there with the reason.
    again = _customer_connects(
        fake_youtube, auth_client, api_client, second, "creator@example.com", redirect_after=f"{FRONTEND}/c"
    )
    assert again.status_code == 302 and again["Location"].startswith(f"{FRONTEND}/c?error=")


def test_another_users_youtube_channel_cannot_be_taken(
    fake_youtube, user, other_user, auth_client, other_client, api_client
):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("creator@example.com")
    mine = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    theirs = ChannelFactory(user=other_user, status=ChannelStatus.PENDING_OAUTH)
    assert _customer_connects(fake_youtube, auth_client, api_client, mine, "creator@example.com").status_code == 200

    refused = _customer_connects(fake_youtube, other_client, api_client, theirs, "creator@example.com")

    assert refused.status_code == 400
    theirs.refresh_from_db()
    assert theirs.youtube_account_id is None


def test_a_state_binds_only_the_channel_it_was_issued_for_and_only_once(fake_youtube, user, auth_client, api_client):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("creator@example.com")
    first, second = (ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH) for _ in range(2))
    for_first = auth_client.post(_connect(first)).json()
    for_second = auth_client.post(_connect(second)).json()
    fake_youtube.sign_in("creator@example.com")

    params = consent(fake_youtube, for_second["authorization_url"])
    assert api_client.get(CALLBACK, params).status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.youtube_account_id is None and second.youtube_account_id is not None

    replay = api_client.get(CALLBACK, params)
    assert replay.status_code == 400 and "errors" in replay.json()
    assert api_client.get(CALLBACK, {"state": for_first["state"][:-2] + "xx", "code": "x"}).status_code == 400


def test_an_expired_state_is_refused(fake_youtube, user, auth_client, api_client, settings):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("creator@example.com")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    started = auth_client.post(_connect(channel)).json()
    fake_youtube.sign_in("creator@example.com")
    params = consent(fake_youtube, started["authorization_url"])
    later = timezone.now() + timedelta(seconds=settings.YOUTUBE_OAUTH_STATE_TTL_SECONDS + 5)
    import time_machine

    with time_machine.travel(later, tick=False):
        assert api_client.get(CALLBACK, params).status_code == 400
    channel.refresh_from_db()
    assert channel.youtube_account_id is None


def test_disconnect_unbinds_revokes_and_queued_videos_wait(fake_youtube, user, auth_client, api_client, tmp_path):
    make_project(fake_youtube, "alpha")
    yt = fake_youtube.add_channel("creator@example.com")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    _customer_connects(fake_youtube, auth_client, api_client, channel, "creator@example.com")

    assert auth_client.post(_disconnect(channel)).status_code == 204

    channel.refresh_from_db()
    assert (channel.youtube_account_id, channel.youtube_channel_id) == (None, None)
    assert len(fake_youtube.revocations) == 1
    video = _ready_video(channel, tmp_path)
    assert pipeline_run_step(video_id=video.pk, step="upload") is None
    video.refresh_from_db()
    assert video.status == S.READY
    assert video.metadata["pipeline"]["wait"]["reason"] == "channel_not_connected"
    assert fake_youtube.videos_of(yt.channel_id) == []
    assert auth_client.post(_disconnect(channel)).status_code == 409  # not connected any more


# --- uploads go where the channel is ----------------------------------------------------------------


@pytest.fixture
def platform(fake_youtube):
    """The platform's pool: 12 active and 3 reserve accounts on 2 Google projects, on the fake."""
    projects = [make_project(fake_youtube, "proj-a"), make_project(fake_youtube, "proj-b")]
    active = [connect_account(fake_youtube, projects[i % 2], f"pool{i:02d}@example.com") for i in range(12)]
    reserve = [
        connect_account(fake_youtube, projects[i % 2], f"reserve{i}@example.com", reserve=True) for i in range(3)
    ]
    return {"projects": projects, "active": active, "reserve": reserve, "fake": fake_youtube}


@pytest.mark.slow
def test_a_day_of_uploads_lands_every_video_on_its_own_channel(platform, user, tmp_path):
    fake = platform["fake"]
    user.channel_limit = user.daily_video_limit = 100
    user.save()
    channels = [ChannelFactory(user=user, status="active", name=f"C{i}") for i in range(12)]
    for channel in channels:
        channel_bind_free_pool_account(channel_id=channel.pk, actor="test")
    bound = {c.pk: Channel.objects.get(pk=c.pk) for c in channels}
    assert len({c.youtube_account_id for c in bound.values()}) == 12  # one account each
    # Six videos per channel: five publish (the cap), the sixth waits for the reset on its own channel.
    videos = [_ready_video(channel, tmp_path, f"{channel.name}-{n}") for channel in channels for n in range(6)]
    for video in videos:
        pipeline_run_step(video_id=video.pk, step="upload")

    for channel in bound.values():
        published = Video.objects.filter(channel=channel, status=S.PUBLISHED)
        on_youtube = {v["id"] for v in fake.videos_of(channel.youtube_channel_id)}
        assert on_youtube == set(published.values_list("youtube_video_id", flat=True))
        assert published.count() == 5
        assert set(published.values_list("youtube_account_used_id", flat=True)) == {channel.youtube_account_id}
        waiting = Video.objects.get(channel=channel, status=S.READY)
        assert waiting.metadata["pipeline"]["wait"]["reason"] == "channel_capacity"
    assert sum(len(fake.videos_of(a.channel_id)) for a in platform["reserve"]) == 0  # never spilled
    assert len(fake.videos) == 60


def test_invalid_grant_parks_the_channel_and_a_reconnect_resumes(
    fake_youtube, user, auth_client, api_client, tmp_path, django_capture_on_commit_callbacks
):
    make_project(fake_youtube, "alpha")
    yt = fake_youtube.add_channel("creator@example.com")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    _customer_connects(fake_youtube, auth_client, api_client, channel, "creator@example.com")
    account = YouTubeAccount.objects.get(channel_id=yt.channel_id)
    for token in list(fake_youtube.refresh_tokens):  # the user revoked our access at Google
        fake_youtube.revoke(token)

    video = _ready_video(channel, tmp_path)
    pipeline_run_step(video_id=video.pk, step="upload")

    video.refresh_from_db()
    account.refresh_from_db()
    assert video.status == S.READY  # parked, not failed
    assert video.metadata["pipeline"]["wait"]["reason"] == "youtube_needs_reconnect"
    assert account.needs_reauth is True
    detail = auth_client.get(f"/api/v1/channels/{channel.pk}").json()
    assert detail["youtube"]["account_state"] == "needs_reconnect"
    assert ChannelEvent.objects.filter(channel=channel, kind="youtube_needs_reconnect").exists()
    # A retry storm does not happen: the dispatcher leaves it until the wait is over.
    assert pipeline_dispatch() == []

    # The owner reconnects the same YouTube channel: the video goes on and is published there.
    with django_capture_on_commit_callbacks(execute=True):
        again = _customer_connects(fake_youtube, auth_client, api_client, channel, "creator@example.com")
    assert again.status_code == 200
    video.refresh_from_db()
    assert video.status == S.PUBLISHED, video.metadata["pipeline"].get("wait")
    assert [v["id"] for v in fake_youtube.videos_of(yt.channel_id)] == [video.youtube_video_id]


def test_staff_fail_a_platform_channel_over_to_a_reserve_and_it_publishes(
    platform, user, tmp_path, staff_user, client, django_capture_on_commit_callbacks
):
    fake = platform["fake"]
    channel = ChannelFactory(user=user, status="active")
    channel_bind_free_pool_account(channel_id=channel.pk)
    channel.refresh_from_db()
    dead = YouTubeAccount.objects.get(pk=channel.youtube_account_id)
    account_record_result(account=dead, success=False, error=_invalid_grant())
    video = _ready_video(channel, tmp_path)
    pipeline_run_step(video_id=video.pk, step="upload")
    video.refresh_from_db()
    assert video.metadata["pipeline"]["wait"]["reason"] == "youtube_needs_reconnect"

    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/channels/channel/",
            {"action": "fail_over_to_reserve", "_selected_action": [str(channel.pk)]},
            follow=True,
        )

    assert response.status_code == 200
    channel.refresh_from_db()
    reserve = YouTubeAccount.objects.get(pk=channel.youtube_account_id)
    assert reserve.is_reserve and reserve.pk != dead.pk
    video.refresh_from_db()
    assert video.status == S.PUBLISHED
    assert [v["id"] for v in fake.videos_of(reserve.channel_id)] == [video.youtube_video_id]
    assert fake.videos_of(dead.channel_id) == []


def test_automatic_failover_only_for_platform_channels_that_opted_in(
    platform, user, django_capture_on_commit_callbacks
):
    opted = ChannelFactory(user=user, status="active", failover_to_reserve=True)
    plain = ChannelFactory(user=user, status="active")
    for channel in (opted, plain):
        channel_bind_free_pool_account(channel_id=channel.pk)
        channel.refresh_from_db()
    accounts = {c.pk: YouTubeAccount.objects.get(pk=c.youtube_account_id) for c in (opted, plain)}

    with django_capture_on_commit_callbacks(execute=True):
        for account in accounts.values():
            account_record_result(account=account, success=False, error=_invalid_grant())

    opted.refresh_from_db()
    plain.refresh_from_db()
    assert opted.youtube_account_id != accounts[opted.pk].pk
    assert YouTubeAccount.objects.get(pk=opted.youtube_account_id).is_reserve
    assert plain.youtube_account_id == accounts[plain.pk].pk  # staff decide for this one


def test_a_customers_own_channel_never_fails_over(platform, user, auth_client, api_client):
    fake = platform["fake"]
    fake.add_channel("creator@example.com")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    _customer_connects(fake, auth_client, api_client, channel, "creator@example.com")
    channel.refresh_from_db()
    Channel.objects.filter(pk=channel.pk).update(failover_to_reserve=True)
    own = YouTubeAccount.objects.get(pk=channel.youtube_account_id)
    account_record_result(account=own, success=False, error=_invalid_grant())
    channel.refresh_from_db()
    assert channel.youtube_account_id == own.pk
    with pytest.raises(Exception, match="never fails over"):
        channel_failover(channel_id=channel.pk)


def _invalid_grant():
    from google.auth.exceptions import RefreshError

    return RefreshError("invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"})


# --- what a customer sees ------------------------------------------------------------------------------


def test_no_customer_response_carries_an_email_a_token_or_another_channel(
    platform, user, other_user, auth_client, api_client, tmp_path
):
    fake = platform["fake"]
    fake.add_channel("creator@example.com")
    mine = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    _customer_connects(fake, auth_client, api_client, mine, "creator@example.com")
    theirs = ChannelFactory(user=other_user, status="active")
    channel_bind_free_pool_account(channel_id=theirs.pk)
    video = _ready_video(Channel.objects.get(pk=mine.pk), tmp_path)
    pipeline_run_step(video_id=video.pk, step="upload")

    pages = [
        auth_client.get("/api/v1/channels"),
        auth_client.get(f"/api/v1/channels/{mine.pk}"),
        auth_client.get(f"/api/v1/channels/{mine.pk}/events"),
        auth_client.get("/api/v1/videos"),
        auth_client.get(f"/api/v1/videos/{video.pk}"),
    ]
    text = "".join(page.content.decode() for page in pages)
    assert all(page.status_code == 200 for page in pages)
    theirs.refresh_from_db()
    for secret in ["@example.com", "ya29.", "1//", "refresh_token", str(theirs.pk), theirs.youtube_channel_id]:
        assert secret not in text, secret
    for account in YouTubeAccount.objects.exclude(pk=Channel.objects.get(pk=mine.pk).youtube_account_id):
        assert str(account.pk) not in text


# --- staff: authorize, callback, capacity, admin --------------------------------------------------------


@pytest.fixture
def staff_api(client_for, staff_user):
    return client_for(staff_user)


def test_staff_connect_a_platform_account_and_bind_it_at_once(fake_youtube, staff_api, api_client, user):
    project = make_project(fake_youtube, "alpha")
    yt = fake_youtube.add_channel("new@example.com", handle="@newchannel")
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)

    response = staff_api.get(
        AUTHORIZE, {"email": "New@Example.com", "is_reserve": "true", "project": "alpha", "bind_channel_id": channel.pk}
    )

    assert response.status_code == 302
    url = response["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert (query["login_hint"], query["client_id"]) == ("New@Example.com", project.client_id)
    params = consent(fake_youtube, url)
    callback = api_client.get(CALLBACK, params)  # the browser: no API token, the state authorises
    assert callback.status_code == 200, callback.json()
    body = callback.json()
    assert (body["created"], body["youtube_channel_id"], body["handle"]) == (True, yt.channel_id, "@newchannel")
    assert body["channel"]["id"] == str(channel.pk) and body["channel"]["status"] == "active"
    account = YouTubeAccount.objects.get(channel_id=yt.channel_id)
    assert (account.owner_id, account.is_reserve, account.daily_upload_cap) == (None, True, 2)
    replay = api_client.get(CALLBACK, params)
    assert replay.status_code == 400
    assert replay.json()["detail"] == "Invalid, expired or already used OAuth state"


def test_authorize_is_staff_only_and_validates_input(fake_youtube, auth_client, api_client, staff_api):
    make_project(fake_youtube, "alpha")
    assert api_client.get(AUTHORIZE, {"email": "a@example.com"}).status_code == 401
    assert auth_client.get(AUTHORIZE, {"email": "a@example.com"}).status_code == 403
    bad = staff_api.get(AUTHORIZE, {"email": "not-an-email", "colour": "red"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} >= {"colour"}
    unknown = staff_api.get(AUTHORIZE, {"email": "a@example.com", "project": "nope"})
    assert unknown.status_code == 400
    assert "Unknown or inactive Google project" in unknown.json()["detail"]


def test_capacity_counts_what_each_bound_channel_can_still_publish(staff_api, user):
    alpha = GoogleProjectFactory(name="alpha", upload_limit=100, uploads_used=97, units_used=120)
    beta = GoogleProjectFactory(name="beta", upload_limit=100, uploads_used=0)
    a1 = YouTubeAccountFactory(project=alpha, uploads_today=1)  # 4 slots left, its project 3
    a2 = YouTubeAccountFactory(project=alpha, is_active=False, needs_reauth=True)
    b1 = YouTubeAccountFactory(project=beta, uploads_today=5)  # capped
    b2 = YouTubeAccountFactory(project=beta, is_reserve=True, daily_upload_cap=2)  # 2 left
    mine = YouTubeAccountFactory(project=beta, owner=user, email=None, uploads_today=4)  # a customer's: 1 left
    spare = YouTubeAccountFactory(project=beta)  # 5 left, but bound to no channel: publishes nothing
    for account in (a1, a2, b1, b2, mine):
        bound_channel(user=user, account=account, status="active")
    ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)  # not connected

    response = staff_api.get(CAPACITY)

    assert response.status_code == 200
    body = response.json()
    assert body["uploads_possible_today"] == 3 + 2 + 1
    assert body["unbound_channels"] == 1
    projects = {p["name"]: p for p in body["projects"]}
    assert projects["alpha"]["buckets"]["uploads"] == {"used": 97, "limit": 100, "left": 3}
    assert (projects["alpha"]["uploads_possible"], projects["beta"]["uploads_possible"]) == (3, 3)
    accounts = {a["id"]: a for a in body["accounts"]}
    assert accounts[str(a2.pk)]["state"] == "needs_reconnect"
    assert (accounts[str(b2.pk)]["state"], accounts[str(b2.pk)]["is_reserve"]) == ("ok", True)
    assert (accounts[str(mine.pk)]["owner"], accounts[str(mine.pk)]["uploads_left"]) == ("customer", 1)
    assert accounts[str(spare.pk)]["channel"] is None
    assert accounts[str(a1.pk)]["channel"]["id"]
    page = response.content.decode()
    assert "@example.com" not in page and "credentials" not in page


def test_capacity_query_count_does_not_grow_with_accounts(staff_api, django_assert_num_queries, user):
    project = GoogleProjectFactory()
    for account in YouTubeAccountFactory.create_batch(3, project=project):
        bound_channel(user=user, account=account, status="active")
    with django_assert_num_queries(5):  # user (then cached), accounts, projects, bindings, unbound count
        assert staff_api.get(CAPACITY).status_code == 200
    YouTubeAccountFactory.create_batch(12, project=GoogleProjectFactory())
    with django_assert_num_queries(4):
        assert staff_api.get(CAPACITY).status_code == 200


def test_capacity_is_staff_only(api_client, auth_client, admin_client_api):
    assert api_client.get(CAPACITY).status_code == 401
    assert auth_client.get(CAPACITY).status_code == 403
    assert admin_client_api.get(CAPACITY).status_code == 403  # role admin without staff


def test_publishing_endpoints_are_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p.rstrip("/") for p in schema["paths"]]
    for path in (
        "/api/v1/youtube/capacity",
        "/api/v1/youtube/oauth/authorize",
        "/api/v1/youtube/oauth/callback",
        "/api/v1/channels/{channel_id}/youtube/connect",
        "/api/v1/channels/{channel_id}/youtube/disconnect",
    ):
        assert path in paths, path
    assert not any("sandbox" in p for p in paths)  # an HTML page, not an API operation


def test_staff_bind_a_free_pool_account_from_the_channel_admin(platform, user, staff_user, client):
    channels = [ChannelFactory(user=user, status="active") for _ in range(2)]
    taken = bound_channel(user=user, account=platform["active"][0], status="active")
    client.force_login(staff_user)

    response = client.post(
        "/admin/channels/channel/",
        {"action": "bind_free_pool_account", "_selected_action": [str(c.pk) for c in channels]},
        follow=True,
    )

    assert response.status_code == 200
    accounts = [Channel.objects.get(pk=c.pk).youtube_account for c in channels]
    assert all(a is not None and not a.is_reserve and a.owner_id is None for a in accounts)
    assert len({a.pk for a in accounts} | {taken.youtube_account_id}) == 3  # never one already bound


def test_staff_bind_an_account_to_a_channel_from_the_account_page(platform, user, staff_user, client):
    channel = ChannelFactory(user=user, status=ChannelStatus.PENDING_OAUTH)
    account = platform["reserve"][0]
    client.force_login(staff_user)

    page = client.get(f"/admin/youtube_pool/youtubeaccount/{account.pk}/bind/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/youtube_pool/youtubeaccount/{account.pk}/bind/", {"channel": channel.pk}, follow=True
    )

    assert response.status_code == 200
    channel.refresh_from_db()
    assert (channel.youtube_account_id, channel.status) == (account.pk, ChannelStatus.ACTIVE)


def test_staff_connect_a_sandbox_channel_end_to_end_through_the_browser(settings, staff_user, user):
    """`make run`, offline: the SANDBOX consent page stands in for Google's."""
    settings.YOUTUBE_REDIRECT_URI = "http://testserver/api/v1/youtube/oauth/callback"
    for name in ("GOOGLE_OAUTH_AUTH_URI", "GOOGLE_OAUTH_TOKEN_URI", "GOOGLE_OAUTH_REVOKE_URI", "YOUTUBE_API_ENDPOINT"):
        setattr(settings, name, "https://127.0.0.1:9/")  # nothing may call out
    create_pool_demo(staff=staff_user, customer=user)
    project = GoogleProject.objects.get(is_sandbox=True)
    started = oauth_start(context={"kind": "staff", "user_id": str(staff_user.pk)}, login_hint="ops@example.com")
    url = started["authorization_url"]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "SANDBOX" in text and project.name in text
    answer = browser.post(
        "/api/v1/youtube/sandbox/consent",
        {"state": started["state"], "decision": "allow", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
    )
    assert answer.status_code == 302
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer["Location"]).query))

    callback = browser.get(CALLBACK, params)

    assert callback.status_code == 200, callback.content
    body = json.loads(callback.content)
    assert body["created"] is True
    account = YouTubeAccount.objects.get(channel_id=body["youtube_channel_id"])
    assert (account.is_sandbox, account.project, account.owner_id, account.is_active) == (True, project, None, True)
    assert browser.get(CALLBACK, params).status_code == 400  # single use
