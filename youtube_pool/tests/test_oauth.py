"""Connecting, reconnecting and revoking YouTube channels against the local fake Google (real clients)."""

import datetime as dt
import urllib.parse

import pytest
import time_machine
from django.core.cache import caches

from youtube_pool.exceptions import OAuthError, OAuthStateError, YouTubePoolError
from youtube_pool.models import YouTubeAccount
from youtube_pool.services import account_book_upload, account_reactivate, oauth_complete, oauth_revoke, oauth_start
from youtube_pool.services.oauth import _state_key, _take_state
from ytempire.core.exceptions import ApplicationError
from ytempire.core.testing import race

from .conftest import connect_account, consent, make_project

pytestmark = pytest.mark.django_db


def customer_context(user, channel_id="c0ffee00-0000-4000-8000-000000000001") -> dict:
    return {"kind": "customer", "channel_id": channel_id, "user_id": str(user.pk), "redirect_after": ""}


def customer_connects(fake, user, email: str, **start) -> tuple[dict, dict]:
    """A customer's connection up to the callback: (what oauth_start returned, the callback's query)."""
    fake.sign_in(email)
    started = oauth_start(context=customer_context(user), owner_id=user.pk, **start)
    return started, consent(fake, started["authorization_url"])


# --- customers -----------------------------------------------------------------------------------
def test_a_customer_connects_their_own_channel_and_the_context_comes_back(fake_youtube, user, state_events):
    project = make_project(fake_youtube, "alpha")
    channel = fake_youtube.add_channel("creator@example.com", handle="@creator")
    fake_youtube.sign_in("creator@example.com")  # Google's session in the browser: no login_hint needed
    context = customer_context(user)

    started = oauth_start(context=context, owner_id=user.pk, return_to="https://app.example.com/x")

    assert set(started) == {"authorization_url", "state", "expires_at"}
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(started["authorization_url"]).query))
    assert started["authorization_url"].startswith(fake_youtube.auth_uri)
    assert (query["state"], query["access_type"], query["prompt"]) == (started["state"], "offline", "consent")
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert "login_hint" not in query
    assert set(query["scope"].split()) == {
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
        "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
    }
    ttl = (started["expires_at"] - dt.datetime.now(dt.UTC)).total_seconds()
    assert 590 < ttl <= 600
    assert 590 < caches["default"].ttl(_state_key(started["state"])) <= 600

    result = oauth_complete(**consent(fake_youtube, started["authorization_url"]))

    assert result.created is True
    assert result.context == context
    assert result.return_to == "https://app.example.com/x"
    account = result.account
    assert (account.channel_id, account.channel_handle, account.owner_id) == (channel.channel_id, "@creator", user.pk)
    assert (account.email, account.is_reserve, account.daily_upload_cap, account.project) == (None, False, 5, project)
    assert account.token_expires_at is not None
    refresh = [t for t, d in fake_youtube.refresh_tokens.items() if d["channel_id"] == channel.channel_id]
    assert refresh and refresh[0] not in account.credentials_encrypted
    assert [(e["account_id"], e["state"]) for e in state_events] == [(account.pk, "ok")]
    project.refresh_from_db()
    assert project.units_used == 1 == fake_youtube.projects[project.client_id].used["units"]  # channels.list
    # The account works: an upload can be booked on it.
    assert account_book_upload(account_id=account.pk).uploads_today == 1


def test_the_same_customer_reconnects_and_the_account_comes_back(fake_youtube, user, state_events):
    project = make_project(fake_youtube, "alpha")
    account = connect_account(fake_youtube, project, "creator@example.com", owner=user)
    YouTubeAccount.objects.filter(pk=account.pk).update(
        is_active=False, needs_reauth=True, deactivated_reason="reauthorisation needed"
    )
    before = YouTubeAccount.objects.get(pk=account.pk).credentials_encrypted

    _, params = customer_connects(fake_youtube, user, "creator@example.com")
    result = oauth_complete(**params)

    assert (result.created, result.account.pk) == (False, account.pk)
    account.refresh_from_db()
    assert YouTubeAccount.objects.count() == 1
    assert account.credentials_encrypted != before
    assert (account.is_active, account.needs_reauth, account.deactivated_reason) == (True, False, "")
    assert [(e["account_id"], e["state"]) for e in state_events] == [(account.pk, "ok")]


def test_a_customers_own_channel_is_never_a_reserve_account(fake_youtube, user):
    make_project(fake_youtube, "alpha")
    with pytest.raises(YouTubePoolError, match="cannot be a reserve"):
        oauth_start(context=customer_context(user), owner_id=user.pk, is_reserve=True)


# --- ownership refusals ------------------------------------------------------------------------------
def test_a_customer_cannot_take_a_platform_channel(fake_youtube, user, state_events):
    project = make_project(fake_youtube, "alpha")
    platform = connect_account(fake_youtube, project, "pool01@example.com")
    before = YouTubeAccount.objects.get(pk=platform.pk)

    started, params = customer_connects(fake_youtube, user, "pool01@example.com", return_to="https://app/x")
    with pytest.raises(OAuthError) as info:
        oauth_complete(**params)

    assert info.value.status_code == 400
    assert (
        info.value.message
        == "This YouTube channel is one of the platform's own accounts; it cannot be connected as yours."
    )
    assert info.value.context == customer_context(user)  # the caller can send the browser back
    assert info.value.return_to == "https://app/x"
    after = YouTubeAccount.objects.get(pk=platform.pk)
    assert (after.owner_id, after.credentials_encrypted, after.project_id) == (
        None,
        before.credentials_encrypted,
        project.pk,
    )
    assert state_events == []
    # Nothing at Google was revoked: the platform's grant still works.
    assert fake_youtube.revocations == []
    assert not fake_youtube.refresh_tokens[platform.fake_refresh_token]["revoked"]


def test_a_customer_cannot_take_another_customers_channel(fake_youtube, user, other_user):
    project = make_project(fake_youtube, "alpha")
    theirs = connect_account(fake_youtube, project, "theirs@example.com", owner=other_user)

    _, params = customer_connects(fake_youtube, user, "theirs@example.com")
    with pytest.raises(OAuthError) as info:
        oauth_complete(**params)

    assert info.value.message == "This YouTube channel is already connected by another user."
    assert YouTubeAccount.objects.get(pk=theirs.pk).owner_id == other_user.pk


def test_staff_cannot_pull_a_customers_channel_into_the_pool(fake_youtube, user):
    project = make_project(fake_youtube, "alpha")
    mine = connect_account(fake_youtube, project, "mine@example.com", owner=user)
    started = oauth_start(context={"kind": "staff"}, login_hint="mine@example.com", is_reserve=True)

    with pytest.raises(OAuthError) as info:
        oauth_complete(**consent(fake_youtube, started["authorization_url"]))

    assert info.value.message == "This YouTube channel is a customer's own channel; it cannot join the platform's pool."
    mine.refresh_from_db()
    assert (mine.owner_id, mine.is_reserve) == (user.pk, False)


# --- the state -------------------------------------------------------------------------------------
def test_a_replayed_state_is_refused(fake_youtube, user):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("creator@example.com")
    _, params = customer_connects(fake_youtube, user, "creator@example.com")
    oauth_complete(**params)

    with pytest.raises(OAuthStateError) as info:
        oauth_complete(**params)

    assert (info.value.status_code, info.value.context) == (400, None)
    assert info.value.message == "Invalid, expired or already used OAuth state"
    assert YouTubeAccount.objects.count() == 1


def test_an_expired_state_is_refused(fake_youtube, user):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("late@example.com")
    _, params = customer_connects(fake_youtube, user, "late@example.com")

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=False), pytest.raises(OAuthStateError):
        oauth_complete(**params)

    assert not YouTubeAccount.objects.exists()


def test_unknown_or_missing_states_are_refused():
    for state in ("forged", ""):
        with pytest.raises(OAuthStateError):
            oauth_complete(state=state, code="4/abc")


def test_state_is_redeemed_once_even_by_racing_callbacks(fake_youtube):
    make_project(fake_youtube, "alpha")
    state = oauth_start(context={"kind": "staff"}, login_hint="race@example.com")["state"]

    taken = race(lambda: _take_state(state), 8)

    assert len(taken) == 8
    assert sum(1 for t in taken if t) == 1


def test_the_context_must_be_json(fake_youtube):
    make_project(fake_youtube, "alpha")
    with pytest.raises(YouTubePoolError, match="JSON object"):
        oauth_start(context={"when": object()})


# --- Google's refusals ----------------------------------------------------------------------------
def test_missing_refresh_token_is_an_explicit_error(fake_youtube, user):
    make_project(fake_youtube, "alpha")
    fake_youtube.add_channel("online@example.com")
    fake_youtube.grant_offline = False
    _, params = customer_connects(fake_youtube, user, "online@example.com")

    with pytest.raises(OAuthError, match="no refresh token") as info:
        oauth_complete(**params)

    assert info.value.context == customer_context(user)
    assert not YouTubeAccount.objects.exists()


def test_google_errors_are_clear_400s_carrying_the_context(fake_youtube, user):
    make_project(fake_youtube, "alpha")
    fake_youtube.sign_in("")
    started = oauth_start(context=customer_context(user), owner_id=user.pk)
    params = consent(fake_youtube, started["authorization_url"])  # no Google account: access_denied
    assert params["error"] == "access_denied"
    with pytest.raises(OAuthError) as info:
        oauth_complete(**params)
    assert info.value.message == "Google refused the authorisation: access_denied"
    assert info.value.context == customer_context(user)

    fake_youtube.add_channel("someone@example.com")
    _, params = customer_connects(fake_youtube, user, "someone@example.com")
    params["code"] = "4/not-a-real-code"
    with pytest.raises(OAuthError) as info:
        oauth_complete(**params)
    assert info.value.message == "Google refused the code exchange: invalid_grant"


# --- revoking -------------------------------------------------------------------------------------
def test_revoke_posts_the_refresh_token_to_google_and_wipes_the_credentials(fake_youtube, user, state_events):
    project = make_project(fake_youtube, "alpha")
    account = connect_account(fake_youtube, project, "creator@example.com", owner=user)

    oauth_revoke(account=account)

    assert fake_youtube.revocations == [account.fake_refresh_token]
    assert fake_youtube.refresh_tokens[account.fake_refresh_token]["revoked"]
    account.refresh_from_db()
    assert (account.credentials_encrypted, account.token_expires_at) == ("", None)
    assert (account.is_active, account.needs_reauth, account.deactivated_reason) == (False, False, "disconnected")
    assert [(e["account_id"], e["state"], e["reason"]) for e in state_events] == [
        (account.pk, "deactivated", "disconnected")
    ]
    # Only reconnecting brings it back: staff cannot simply reactivate it.
    with pytest.raises(ApplicationError, match="disconnected"):
        account_reactivate(account=account)
    _, params = customer_connects(fake_youtube, user, "creator@example.com")
    result = oauth_complete(**params)
    assert (result.account.pk, result.created, result.account.is_active) == (account.pk, False, True)


def test_a_failing_revoke_endpoint_never_blocks_the_disconnection(fake_youtube, user, settings, caplog):
    project = make_project(fake_youtube, "alpha")
    first = connect_account(fake_youtube, project, "one@example.com", owner=user)
    second = connect_account(fake_youtube, project, "two@example.com", owner=user)
    fake_youtube.fail_next(1, status=503, match="revoke")

    with caplog.at_level("WARNING", logger="youtube_pool"):
        oauth_revoke(account=first)
    settings.GOOGLE_OAUTH_REVOKE_URI = "https://127.0.0.1:9/revoke"  # nothing listens there
    oauth_revoke(account=second)

    for account in (first, second):
        account.refresh_from_db()
        assert (account.credentials_encrypted, account.is_active, account.deactivated_reason) == (
            "",
            False,
            "disconnected",
        )
    assert any("refused to revoke" in r.getMessage() for r in caplog.records)
