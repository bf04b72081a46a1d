import datetime as dt
import threading
import urllib.parse

import pytest
import requests
import time_machine
from django.core.cache import caches
from django.db import connection

from youtube_pool.models import YouTubeAccount
from youtube_pool.services.oauth import STATE_KEY, _take_state, oauth_start

from .conftest import connect_account, make_project

pytestmark = pytest.mark.django_db
AUTHORIZE = "/api/v1/youtube/oauth/authorize"
CALLBACK = "/api/v1/youtube/oauth/callback"


@pytest.fixture
def staff_client(client_for, staff_user):
    return client_for(staff_user)


def consent(fake, authorization_url: str) -> dict:
    """The user's browser at Google: the consent screen redirects back with code and state."""
    response = requests.get(authorization_url, allow_redirects=False, verify=fake.ca_file, timeout=5)
    assert response.status_code == 302
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["Location"]).query))


def test_connect_flow_creates_the_account_with_encrypted_credentials(fake_youtube, staff_client, api_client):
    project = make_project(fake_youtube, "alpha")
    channel = fake_youtube.add_channel("new@example.com", handle="@newchannel")

    response = staff_client.get(AUTHORIZE, {"email": "New@Example.com", "is_reserve": "true", "project": "alpha"})

    assert response.status_code == 302
    url = response["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(fake_youtube.auth_uri)
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["login_hint"] == "New@Example.com"
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == project.client_id
    assert "youtube.upload" in query["scope"]
    assert caches["default"].ttl(STATE_KEY.format(state=query["state"])) <= 600

    params = consent(fake_youtube, url)
    response = api_client.get(CALLBACK, params)  # the browser: no API token, the state authorises

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["account"]["channel_id"] == channel.channel_id
    account = YouTubeAccount.objects.get(email="new@example.com")
    assert (account.project, account.channel_handle, account.is_reserve) == (project, "@newchannel", True)
    assert account.daily_upload_cap == 2
    assert account.token_expires_at is not None
    tokens = [t for t, d in fake_youtube.access_tokens.items() if d["channel_id"] == channel.channel_id]
    refresh = [t for t, d in fake_youtube.refresh_tokens.items() if d["channel_id"] == channel.channel_id]
    assert tokens and refresh
    assert tokens[0] not in account.credentials_encrypted and refresh[0] not in account.credentials_encrypted
    # channels.list was metered on the project (1 unit)
    project.refresh_from_db()
    assert project.units_used == 1
    assert fake_youtube.projects[project.client_id].used["units"] == 1

    # The state is single-use.
    replay = api_client.get(CALLBACK, params)
    assert replay.status_code == 400
    assert replay.json() == {"detail": "Invalid, expired or already used OAuth state"}


def test_reconnecting_an_existing_email_updates_its_credentials(fake_youtube, staff_client, api_client):
    project = make_project(fake_youtube, "alpha")
    account = connect_account(fake_youtube, project, "old@example.com")
    YouTubeAccount.objects.filter(pk=account.pk).update(
        is_active=False, needs_reauth=True, deactivated_reason="reauthorisation needed"
    )
    before = YouTubeAccount.objects.get(pk=account.pk).credentials_encrypted

    url = staff_client.get(AUTHORIZE, {"email": "old@example.com", "project": str(project.pk)})["Location"]
    response = api_client.get(CALLBACK, consent(fake_youtube, url))

    assert response.status_code == 200
    assert response.json()["created"] is False
    account.refresh_from_db()
    assert YouTubeAccount.objects.count() == 1
    assert account.credentials_encrypted != before
    assert (account.is_active, account.needs_reauth, account.deactivated_reason) == (True, False, "")


def test_expired_state_is_refused(fake_youtube, staff_client, api_client):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("late@example.com")
    url = staff_client.get(AUTHORIZE, {"email": "late@example.com"})["Location"]
    params = consent(fake_youtube, url)

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11), tick=False):
        response = api_client.get(CALLBACK, params)

    assert response.status_code == 400
    assert not YouTubeAccount.objects.exists()


def test_unknown_state_is_refused(api_client):
    response = api_client.get(CALLBACK, {"state": "forged", "code": "4/abc"})
    assert response.status_code == 400


def test_state_is_redeemed_once_even_by_racing_callbacks(fake_youtube):
    make_project(fake_youtube, "alpha")
    url = oauth_start(email="race@example.com")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
    barrier = threading.Barrier(8)
    taken = []

    def worker():
        barrier.wait()
        taken.append(_take_state(state))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for t in taken if t) == 1


def test_missing_refresh_token_is_an_explicit_error(fake_youtube, staff_client, api_client):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("online@example.com")
    fake_youtube.grant_offline = False
    url = staff_client.get(AUTHORIZE, {"email": "online@example.com"})["Location"]

    response = api_client.get(CALLBACK, consent(fake_youtube, url))

    assert response.status_code == 400
    assert "no refresh token" in response.json()["detail"]
    assert not YouTubeAccount.objects.exists()


def test_google_errors_are_shown_clearly_not_as_500(fake_youtube, staff_client, api_client):
    make_project(fake_youtube, "alpha")
    url = staff_client.get(AUTHORIZE, {"email": "nobody@example.com"})["Location"]
    params = consent(fake_youtube, url)  # unknown Google account: access_denied
    assert params["error"] == "access_denied"

    response = api_client.get(CALLBACK, params)
    assert response.status_code == 400
    assert response.json()["detail"] == "Google refused the authorisation: access_denied"

    fake_youtube.add_channel("someone@example.com")
    url = staff_client.get(AUTHORIZE, {"email": "someone@example.com"})["Location"]
    params = consent(fake_youtube, url)
    params["code"] = "4/not-a-real-code"
    response = api_client.get(CALLBACK, params)
    assert response.status_code == 400
    assert response.json()["detail"] == "Google refused the code exchange: invalid_grant"


def test_authorize_is_staff_only_and_validates_input(fake_youtube, auth_client, api_client, staff_client):
    make_project(fake_youtube, "alpha")
    assert api_client.get(AUTHORIZE, {"email": "a@example.com"}).status_code == 401
    assert auth_client.get(AUTHORIZE, {"email": "a@example.com"}).status_code == 403
    bad = staff_client.get(AUTHORIZE, {"email": "not-an-email", "colour": "red"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"colour"}
    unknown = staff_client.get(AUTHORIZE, {"email": "a@example.com", "project": "nope"})
    assert unknown.status_code == 400
    assert "Unknown or inactive Google project" in unknown.json()["detail"]
