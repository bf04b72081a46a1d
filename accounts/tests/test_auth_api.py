import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "a-very-good-passphrase-42"


def _register(api_client, email="new@example.com", password=PASSWORD):
    return api_client.post("/api/v1/auth/register", {"email": email, "password": password}, format="json")


def test_register_returns_user_and_tokens(api_client):
    response = _register(api_client)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["tier"] == "free"
    assert body["user"]["channel_limit"] == 5
    assert body["user"]["daily_video_limit"] == 10
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert me.status_code == 200
    assert me.json()["email"] == "new@example.com"
