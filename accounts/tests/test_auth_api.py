import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import RefreshTokenFamily, User
from accounts.services import user_deactivate, user_revoke_all_tokens
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-very-good-passphrase-42"


def _register(api_client, email="new@example.com", password=PASSWORD, **extra):
    return api_client.post("/api/v1/auth/register", {"email": email, "password": password, **extra}, format="json")


def _login(api_client, email, password=DEFAULT_PASSWORD, **headers):
    return api_client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json", **headers)


def _refresh(api_client, token):
    return api_client.post("/api/v1/auth/refresh", {"refresh_token": token}, format="json")


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- register -----------------------------------------------------------------------


def test_register_returns_user_and_tokens(api_client):
    response = _register(api_client, full_name="Ada Lovelace")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["full_name"] == "Ada Lovelace"
    assert body["user"]["tier"] == "free"
    assert (body["user"]["channel_limit"], body["user"]["daily_video_limit"]) == (5, 10)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = api_client.get("/api/v1/auth/me", **_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "new@example.com"
    stored = User.objects.get(email="new@example.com")
    assert stored.password.startswith("md5$") or stored.password.startswith("pbkdf2")
    assert PASSWORD not in stored.password


def test_register_normalises_email_and_refuses_duplicates(api_client):
    assert _register(api_client, email="Case@Example.com").status_code == 201

    response = _register(api_client, email="case@example.COM")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request parameters",
        "errors": [{"field": "email", "message": "A user with this email already exists."}],
    }
    assert User.objects.filter(email__iexact="case@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("short1x", "too short"),
        ("x" * 129, "too long"),
        ("password1234", "too common"),
        ("12345678901234", "entirely numeric"),
    ],
)
def test_register_applies_password_rules(api_client, password, needle):
    response = _register(api_client, password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    # Named after the field the user can fix, never "body".
    assert {error["field"] for error in body["errors"]} == {"password"}, body
    assert any(needle in error["message"] for error in body["errors"]), body
    assert not User.objects.exists()


def test_register_refuses_numbers_for_text_fields(api_client):
    response = api_client.post(
        "/api/v1/auth/register", {"email": "n@example.com", "password": PASSWORD, "full_name": 7}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "full_name", "message": "Must be a string."}]
    assert not User.objects.exists()


def test_register_refuses_unknown_fields_and_wrong_types(api_client):
    response = _register(api_client, tier="scale")
    assert response.status_code == 400
    assert {"field": "tier", "message": "Unknown field."} in response.json()["errors"]

    response = api_client.post("/api/v1/auth/register", {"email": ["x"], "password": 5}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} >= {"email"}
    assert not User.objects.exists()


# --- login and lockout ----------------------------------------------------------------


def test_login_returns_token_pair(api_client, user):
    response = _login(api_client, user.email.upper())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert api_client.get("/api/v1/auth/me", **_bearer(body["access_token"])).status_code == 200


def test_login_wrong_password_and_unknown_email_answer_alike(api_client, user):
    wrong = _login(api_client, user.email, "not-the-password")
    unknown = _login(api_client, "nobody@example.com", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Could not validate credentials", "code": "invalid_login"}


def test_login_inactive_user_is_refused(api_client):
    user = UserFactory(is_active=False)
    assert _login(api_client, user.email).status_code == 401


def test_lockout_after_five_failures_whatever_the_address(api_client, user):
    for attempt in range(5):
        response = _login(api_client, user.email, "wrong-password", REMOTE_ADDR=f"10.0.0.{attempt}")
        assert response.status_code == 401

    locked = _login(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="10.9.9.9")

    assert locked.status_code == 429
    body = locked.json()
    assert set(body) == {"detail", "retry_after"}
    assert 0 < body["retry_after"] <= 15 * 60 + 1
    assert locked["Retry-After"] == str(body["retry_after"])
    # Another email is not affected.
    other = UserFactory()
    assert _login(api_client, other.email).status_code == 200


def test_lockout_expires_after_the_window(api_client, user):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            _login(api_client, user.email, "wrong-password")
        assert _login(api_client, user.email).status_code == 429
        traveller.shift(timedelta(minutes=15, seconds=2))
        assert _login(api_client, user.email).status_code == 200


def test_successful_login_resets_the_failure_count(api_client, user):
    for _ in range(4):
        _login(api_client, user.email, "wrong-password")
    assert _login(api_client, user.email).status_code == 200
    for _ in range(4):
        assert _login(api_client, user.email, "wrong-password").status_code == 401
    assert _login(api_client, user.email).status_code == 200


# --- refresh rotation ----------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_token(api_client, user):
    first = _login(api_client, user.email).json()

    rotated = _refresh(api_client, first["refresh_token"])

    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api_client.get("/api/v1/auth/me", **_bearer(second["access_token"])).status_code == 200
    assert _refresh(api_client, second["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_family(api_client, user):
    first = _login(api_client, user.email).json()
    second = _refresh(api_client, first["refresh_token"]).json()
    other_login = _login(api_client, user.email).json()

    reuse = _refresh(api_client, first["refresh_token"])

    assert reuse.status_code == 401
    assert reuse.json() == {"detail": "Could not validate credentials", "code": "token_reused"}
    # The thief's and the victim's descendants are dead; another login's family is not.
    assert _refresh(api_client, second["refresh_token"]).status_code == 401
    assert _refresh(api_client, other_login["refresh_token"]).status_code == 200
    family = RefreshTokenFamily.objects.filter(user=user, revoked_reason="refresh token reuse")
    assert family.count() == 1


def test_refresh_refuses_access_tokens_and_garbage(api_client, user):
    tokens = _login(api_client, user.email).json()

    assert _refresh(api_client, tokens["access_token"]).status_code == 401
    assert _refresh(api_client, "not-a-token").status_code == 401
    assert _refresh(api_client, tokens["refresh_token"][:-2] + "xx").status_code == 401


def test_expired_tokens_are_refused(api_client, user):
    tokens = _login(api_client, user.email).json()

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = api_client.get("/api/v1/auth/me", **_bearer(tokens["access_token"]))
        assert response.status_code == 401
        assert response.json() == {"detail": "Could not validate credentials", "code": "token_expired"}
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert _refresh(api_client, tokens["refresh_token"]).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        expired = _refresh(api_client, tokens["refresh_token"])
        assert expired.status_code == 401
        assert expired.json() == {"detail": "Could not validate credentials", "code": "token_expired"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_give_exactly_one_success():
    from rest_framework.test import APIClient

    user = UserFactory()
    tokens = _login(APIClient(), user.email).json()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def refresh():
        try:
            client = APIClient()
            barrier.wait()
            statuses.append(_refresh(client, tokens["refresh_token"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401]


# --- logout, me, password -------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = _login(api_client, user.email).json()

    response = api_client.post(
        "/api/v1/auth/logout",
        {"refresh_token": tokens["refresh_token"]},
        format="json",
        **_bearer(tokens["access_token"]),
    )

    assert response.status_code == 200
    assert _refresh(api_client, tokens["refresh_token"]).status_code == 401


def test_logout_refuses_someone_elses_token(api_client, user, other_user):
    mine = _login(api_client, user.email).json()
    theirs = _login(api_client, other_user.email).json()

    response = api_client.post(
        "/api/v1/auth/logout",
        {"refresh_token": theirs["refresh_token"]},
        format="json",
        **_bearer(mine["access_token"]),
    )

    assert response.status_code == 401
    assert _refresh(api_client, theirs["refresh_token"]).status_code == 200


def test_me_requires_authentication(api_client):
    response = api_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": "not_authenticated"}


@pytest.mark.parametrize(
    ("token", "code"), [("not-a-jwt", "token_invalid"), ("eyJhbGciOiJIUzI1NiJ9.e30.x", "token_invalid")]
)
def test_a_bad_access_token_is_the_seed_401_with_its_reason(api_client, token, code):
    response = api_client.get("/api/v1/auth/me", **_bearer(token))

    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": code}


def test_me_patch_updates_only_the_profile(auth_client, user):
    response = auth_client.patch("/api/v1/auth/me", {"full_name": "  New Name "}, format="json")
    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"

    refused = auth_client.patch("/api/v1/auth/me", {"tier": "scale", "channel_limit": 500}, format="json")
    assert refused.status_code == 400
    user.refresh_from_db()
    assert (user.tier, user.channel_limit) == ("free", 5)


def test_password_change_revokes_old_access_and_refresh_tokens_at_once(api_client, user):
    old = _login(api_client, user.email).json()
    other_device = _login(api_client, user.email).json()

    response = api_client.post(
        "/api/v1/auth/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "a-brand-new-passphrase-7"},
        format="json",
        **_bearer(old["access_token"]),
    )

    assert response.status_code == 200
    fresh = response.json()
    revoked = {"detail": "Could not validate credentials", "code": "token_revoked"}
    for token in (old, other_device):
        me = api_client.get("/api/v1/auth/me", **_bearer(token["access_token"]))
        assert (me.status_code, me.json()) == (401, revoked)
        refresh = _refresh(api_client, token["refresh_token"])
        assert (refresh.status_code, refresh.json()) == (401, revoked)
    assert api_client.get("/api/v1/auth/me", **_bearer(fresh["access_token"])).status_code == 200
    assert _login(api_client, user.email).status_code == 401
    assert _login(api_client, user.email, "a-brand-new-passphrase-7").status_code == 200


def test_password_change_checks_the_current_password_and_rules(auth_client, user):
    wrong = auth_client.post(
        "/api/v1/auth/password", {"current_password": "nope", "new_password": "a-brand-new-passphrase-7"}, format="json"
    )
    weak = auth_client.post(
        "/api/v1/auth/password", {"current_password": DEFAULT_PASSWORD, "new_password": "short"}, format="json"
    )

    too_long = auth_client.post(
        "/api/v1/auth/password", {"current_password": DEFAULT_PASSWORD, "new_password": "x" * 129}, format="json"
    )

    assert wrong.status_code == weak.status_code == too_long.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "current_password"
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert too_long.json()["errors"] == [
        {"field": "new_password", "message": "This password is too long. It must contain at most 128 characters."}
    ]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_deactivating_a_user_kills_their_tokens(api_client, user):
    from accounts.services import user_deactivate

    tokens = _login(api_client, user.email).json()

    user_deactivate(user=user)

    assert api_client.get("/api/v1/auth/me", **_bearer(tokens["access_token"])).status_code == 401
    assert _refresh(api_client, tokens["refresh_token"]).status_code == 401


@pytest.mark.django_db
def test_the_user_is_read_once_then_from_the_identity_cache_and_revocation_is_immediate(
    user, auth_client, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the first request reads the user
        assert auth_client.get("/api/v1/auth/me").status_code == 200
    with django_assert_num_queries(0):  # then the identity cache answers
        assert auth_client.get("/api/v1/auth/me").status_code == 200

    user_revoke_all_tokens(user=user, reason="test")

    refused = auth_client.get("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_a_deactivated_user_is_refused_at_once_even_when_cached(user, auth_client):
    assert auth_client.get("/api/v1/auth/me").status_code == 200  # cached now
    user_deactivate(user=user, reason="test")
    assert auth_client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.django_db
def test_a_profile_change_is_seen_at_once(user, auth_client):
    assert auth_client.get("/api/v1/auth/me").json()["full_name"] == user.full_name
    auth_client.patch("/api/v1/auth/me", {"full_name": "Changed Name"}, format="json")
    assert auth_client.get("/api/v1/auth/me").json()["full_name"] == "Changed Name"


def test_a_verified_token_is_still_refused_once_expired_or_revoked(user, api_client):
    """Each process verifies a token's signature once; expiry and revocation are checked every time."""
    import time

    from accounts.authentication import _VERIFIED
    from accounts.services import user_revoke_all_tokens
    from accounts.tokens import tokens_for

    access = tokens_for(user)["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/v1/auth/me").status_code == 200
    assert access.encode() in _VERIFIED
    assert api_client.get("/api/v1/auth/me").status_code == 200  # served from the verified tokens

    token = _VERIFIED[access.encode()]
    token.payload["exp"] = int(time.time()) - 1  # as if its lifetime had passed
    response = api_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert access.encode() not in _VERIFIED

    fresh = tokens_for(user)["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh}")
    assert api_client.get("/api/v1/auth/me").status_code == 200
    assert fresh.encode() in _VERIFIED
    user_revoke_all_tokens(user=user, reason="test")  # a verified token is refused at once
    assert api_client.get("/api/v1/auth/me").status_code == 401
