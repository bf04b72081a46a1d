"""The SANDBOX consent flow (``make run``, offline): the in-app page stands in for Google's."""

import urllib.parse

import pytest
from django.test import Client

from youtube_pool.demo import create_demo_data
from youtube_pool.exceptions import OAuthError
from youtube_pool.models import YouTubeAccount
from youtube_pool.services import oauth_complete, oauth_start

from .conftest import make_project
from .factories import GoogleProjectFactory

pytestmark = pytest.mark.django_db
CONSENT = "/api/v1/youtube/sandbox/consent"


@pytest.fixture
def offline(settings):
    """The callback on the test server, and every Google endpoint unreachable: nothing may call out."""
    settings.YOUTUBE_REDIRECT_URI = "http://testserver/api/v1/youtube/oauth/callback"
    for name in ("GOOGLE_OAUTH_AUTH_URI", "GOOGLE_OAUTH_TOKEN_URI", "GOOGLE_OAUTH_REVOKE_URI", "YOUTUBE_API_ENDPOINT"):
        setattr(settings, name, "https://127.0.0.1:9/")
    return settings


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def allow(browser: Client, authorization_url: str, decision: str = "allow") -> dict:
    """The user on the SANDBOX page: it shows, then its form (with its CSRF token) answers."""
    page = browser.get(authorization_url)
    assert page.status_code == 200
    answer = browser.post(
        CONSENT,
        {
            "state": query_of(authorization_url)["state"],
            "decision": decision,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith("http://testserver/api/v1/youtube/oauth/callback?")
    return query_of(answer["Location"])


def test_the_consent_page_is_served_by_the_project(offline, staff_user, user):
    create_demo_data(staff=staff_user, customer=user)
    started = oauth_start(context={"kind": "customer"}, owner_id=user.pk)
    params = allow(Client(enforce_csrf_checks=True), started["authorization_url"])
    assert params["state"] == started["state"]


def test_a_customer_connects_a_sandbox_channel_with_owner_and_context(offline, user):
    GoogleProjectFactory(is_sandbox=True)
    context = {"kind": "customer", "channel_id": "abc", "user_id": str(user.pk), "redirect_after": ""}
    started = oauth_start(context=context, owner_id=user.pk, return_to="http://localhost:3000/channels/abc")

    result = oauth_complete(**allow(Client(), started["authorization_url"]))

    assert (result.created, result.context, result.return_to) == (True, context, "http://localhost:3000/channels/abc")
    assert (result.account.owner_id, result.account.is_sandbox, result.account.email) == (user.pk, True, None)
    assert result.account.credentials_encrypted == ""  # a sandbox channel has nothing to keep


def test_deny_comes_back_as_access_denied(offline, user):
    GoogleProjectFactory(is_sandbox=True)
    context = {"kind": "customer", "user_id": str(user.pk)}
    started = oauth_start(context=context, owner_id=user.pk)

    params = allow(Client(), started["authorization_url"], decision="deny")

    assert params == {"state": started["state"], "error": "access_denied"}
    with pytest.raises(OAuthError) as info:
        oauth_complete(**params)
    assert (info.value.message, info.value.context) == ("Google refused the authorisation: access_denied", context)
    assert not YouTubeAccount.objects.exists()


def test_a_forged_sandbox_code_is_refused(offline, user):
    GoogleProjectFactory(is_sandbox=True)
    started = oauth_start(context={}, owner_id=user.pk)
    with pytest.raises(OAuthError, match="SANDBOX consent code is not valid"):
        oauth_complete(state=started["state"], code="sandbox-0123456789abcdef0123456789abcdef")
    assert not YouTubeAccount.objects.exists()


def test_the_page_refuses_unknown_used_and_real_google_states(fake_youtube, user):
    browser = Client()
    unknown = browser.get(CONSENT, {"state": "forged"})
    assert unknown.status_code == 400
    assert "cannot be used" in unknown.content.decode()
    assert browser.post(CONSENT, {"state": "forged", "decision": "allow"}).status_code == 400

    make_project(fake_youtube, "alpha")  # a real project: its consent screen is Google's, not ours
    real = oauth_start(context={}, owner_id=user.pk)
    assert real["authorization_url"].startswith(fake_youtube.auth_uri)
    assert browser.get(CONSENT, {"state": real["state"]}).status_code == 400


def test_staff_reconnecting_a_demo_account_finds_its_sandbox_channel_again(offline, staff_user, user, state_events):
    create_demo_data(staff=staff_user, customer=user)
    demo = YouTubeAccount.objects.get(email="sandbox-03@youtube-sandbox.invalid")
    YouTubeAccount.objects.filter(pk=demo.pk).update(is_active=False, deactivated_reason="deactivated by staff")
    started = oauth_start(context={"kind": "staff"}, login_hint=demo.email)

    result = oauth_complete(**allow(Client(), started["authorization_url"]))

    assert (result.created, result.account.pk, result.account.is_active) == (False, demo.pk, True)
    assert YouTubeAccount.objects.count() == 15
    assert [(e["account_id"], e["state"]) for e in state_events] == [(demo.pk, "ok")]
