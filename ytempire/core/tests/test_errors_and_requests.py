import json
import logging
import uuid

import pytest
from django.test import override_settings

from ytempire.core.logging import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400_in_the_documented_shape(auth_client):
    response = auth_client.generic("PATCH", "/api/v1/auth/me", '{"full_name": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid request parameters"
    assert body["errors"][0]["field"] == "body"
    assert "Traceback" not in response.content.decode()


def test_wrong_content_type_is_a_clear_415(auth_client):
    response = auth_client.generic("PATCH", "/api/v1/auth/me", "full_name=x", content_type="text/plain")

    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_unknown_route_is_json_404(api_client):
    response = api_client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.urls("ytempire.core.tests.urls_boom")
def test_unhandled_error_is_a_500_with_request_id_and_no_traceback(api_client, caplog):
    api_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = api_client.get("/boom", HTTP_X_REQUEST_ID="trace-123")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "request_id": "trace-123"}
    assert response["X-Request-ID"] == "trace-123"
    assert any(record.exc_info for record in caplog.records)


@pytest.mark.urls("ytempire.core.tests.urls_boom")
def test_plain_django_500_is_json_too(client):
    client.raise_request_exception = False
    response = client.get("/plain-boom")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal server error"
    assert response.json()["request_id"]


def test_request_id_is_echoed_when_sane_and_replaced_when_not(api_client):
    sane = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123_DEF.4")
    insane = api_client.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    missing = api_client.get("/health")

    assert sane["X-Request-ID"] == "abc-123_DEF.4"
    assert uuid.UUID(insane["X-Request-ID"])
    assert uuid.UUID(missing["X-Request-ID"])
    assert float(sane["X-Process-Time"]) >= 0


def test_each_request_logs_one_structured_line(auth_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="ytempire.request"):
        auth_client.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="req-42")

    record = next(r for r in caplog.records if r.name == "ytempire.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["user_id"] == str(user.id)
    assert line["path"] == "/api/v1/auth/me"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0


def test_slow_requests_are_warnings(api_client, caplog):
    with override_settings(SLOW_REQUEST_SECONDS=-1), caplog.at_level(logging.INFO, logger="ytempire.request"):
        api_client.get("/health")
    assert [r.levelname for r in caplog.records if r.name == "ytempire.request"] == ["WARNING"]


def test_json_logs_redact_secrets():
    record = logging.makeLogRecord(
        {
            "name": "x",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "login with password=hunter2 token Bearer eyJhbGciOi.eyJzdWIi.sig and sk_live_abc123",
            "authorization": "Bearer secret-value",
            "payload": {"refresh_token": "abc", "email": "a@example.com"},
        }
    )
    RequestContextFilter().filter(record)

    line = JsonFormatter().format(record)

    for secret in ("hunter2", "eyJhbGciOi", "sk_live_abc123", "secret-value", '"abc"'):
        assert secret not in line
    assert "a@example.com" in line


def test_passwords_never_reach_the_logs(api_client, caplog):
    with caplog.at_level(logging.DEBUG):
        api_client.post("/api/v1/auth/login", {"email": "x@example.com", "password": "my-secret-pw-123"}, format="json")
        api_client.post(
            "/api/v1/auth/register", {"email": "y@example.com", "password": "my-secret-pw-456"}, format="json"
        )
    formatter = JsonFormatter()
    output = "\n".join(formatter.format(r) for r in caplog.records)
    assert "my-secret-pw" not in output


def test_throttling_per_user_and_anonymous(auth_client, api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "user_minute": "3/min",
            "user_hour": "1000/hour",
            "user_day": "10000/day",
            "anon_minute": "2/min",
            "auth": "2/min",
        },
    }
    statuses = [auth_client.get("/api/v1/auth/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = auth_client.get("/api/v1/auth/me")
    assert limited.json()["detail"] == "Rate limit exceeded"
    assert int(limited["Retry-After"]) == limited.json()["retry_after"] > 0

    anon = [api_client.post("/api/v1/auth/login", {"email": "a@b.co", "password": "x"}).status_code for _ in range(3)]
    assert anon == [401, 401, 429]
