"""Bodies no serializer should ever see: too deep, NUL, unpaired surrogates, NaN, not UTF-8.

The project's JSON parser (REST_FRAMEWORK DEFAULT_PARSER_CLASSES) refuses them with a 400 in the
documented shape for every endpoint that reads a body, before any serializer or service runs.
"""

import pytest

from accounts.models import User
from ytempire.core.storable import DEPTH_MESSAGE, MAX_JSON_DEPTH, NUL_MESSAGE, SURROGATE_MESSAGE

pytestmark = pytest.mark.django_db

# (method, path) of endpoints that read a JSON body, authenticated and not.
BODY_ENDPOINTS = [
    ("PATCH", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/channels"),
    ("POST", "/api/v1/videos/generate"),
    ("POST", "/api/v1/billing/checkout"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
]


def _nested(depth: int) -> str:
    return '{"full_name": ' + "[" * depth + "]" * depth + "}"


def _send(client, method, path, body: str | bytes):
    client.raise_request_exception = False
    data = body.encode() if isinstance(body, str) else body
    return client.generic(method, path, data, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_nesting_beyond_the_limit_is_a_400_on_every_endpoint(auth_client, method, path, depth):
    response = _send(auth_client, method, path, _nested(depth))

    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"] == "Invalid request parameters"
    assert response.json()["errors"][0]["field"] == "body"
    assert DEPTH_MESSAGE in response.json()["errors"][0]["message"]


def test_nesting_within_the_limit_reaches_the_serializer(auth_client):
    response = _send(auth_client, "PATCH", "/api/v1/auth/me", _nested(MAX_JSON_DEPTH - 2))

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "full_name", "message": "Must be a string."}]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ('{"full_name": "a\\u0000b"}', "full_name", NUL_MESSAGE),
        ('{"full_name": "a\\ud800b"}', "full_name", SURROGATE_MESSAGE),
        ('{"full_name": "x", "n\\u0000te": 1}', "n\ufffdte", NUL_MESSAGE),
        ('{"full_name": "a\x00b"}', "body", NUL_MESSAGE),
    ],
)
def test_text_postgresql_cannot_store_is_a_400_naming_the_field(auth_client, user, body, field, message):
    response = _send(auth_client, "PATCH", "/api/v1/auth/me", body)

    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "Invalid request parameters", "errors": [{"field": field, "message": message}]}
    user.refresh_from_db()
    assert user.full_name != "ab"


@pytest.mark.parametrize("body", ['{"full_name": NaN}', '{"full_name": Infinity}', '{"x": 1e999}', "[1, 2"])
def test_numbers_that_are_not_json_and_broken_json_are_malformed(auth_client, body):
    response = _send(auth_client, "PATCH", "/api/v1/auth/me", body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"
    assert response.json()["errors"][0]["message"].startswith("Malformed request body: JSON parse error")


def test_a_body_that_is_not_utf8_is_malformed(api_client):
    response = _send(api_client, "POST", "/api/v1/auth/register", b'{"email": "\xff\xfe"}')

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "body", "message": "Malformed request body: The body is not valid UTF-8."}
    ]
    assert not User.objects.exists()


def test_a_nul_in_a_registration_never_reaches_the_database(api_client):
    body = '{"email": "nul@example.com", "password": "a-very-good-passphrase-42", "full_name": "Ada\\u0000"}'

    response = _send(api_client, "POST", "/api/v1/auth/register", body)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "full_name", "message": NUL_MESSAGE}]
    assert not User.objects.exists()
