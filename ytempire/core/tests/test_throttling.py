"""Rate limits in one round trip: fixed-window counters, the same limits and 429, no history kept."""

import pytest
from django.core.cache import caches

from ytempire.core.testing import race
from ytempire.core.throttling import parse_rate

RATES = {
    "user_minute": "5/min",
    "user_hour": "1000/hour",
    "user_day": "10000/day",
    "anon_minute": "2/min",
    "auth": "2/min",
}


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict(RATES)}


def _throttle_keys() -> dict[str, int]:
    client = caches["default"].client.get_client(write=True)
    prefix = caches["default"].make_key("throttle:")
    return {key.decode(): int(client.get(key)) for key in client.scan_iter(f"{prefix}*")}


def test_parse_rate():
    assert parse_rate("60/min") == (60, 60)
    assert parse_rate("1000/hour") == (1000, 3600)
    assert parse_rate("10000/day") == (10000, 86400)


@pytest.mark.django_db
def test_a_user_gets_the_limit_then_a_429_and_nothing_grows_with_history(rates, auth_client, user):
    statuses = [auth_client.get("/api/v1/auth/me").status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    refused = auth_client.get("/api/v1/auth/me")
    assert refused.json() == {"detail": "Rate limit exceeded", "retry_after": refused.json()["retry_after"]}
    assert 1 <= int(refused["Retry-After"]) == refused.json()["retry_after"] <= 60
    # Three small counters (minute, hour, day), whatever the history: refused requests are not counted.
    counters = _throttle_keys()
    assert sorted(counters.values()) == [5, 5, 5] and len(counters) == 3
    client = caches["default"].client.get_client(write=True)
    assert all(0 < client.ttl(key) <= 86401 for key in counters)


@pytest.mark.django_db
def test_anonymous_callers_and_the_auth_endpoints_have_their_own_limits(rates, api_client):
    login = [
        api_client.post("/api/v1/auth/login", {"email": "a@b.co", "password": "x"}, format="json").status_code
        for _ in range(3)
    ]
    assert login == [401, 401, 429]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_pass_the_limit(rates, client_for, user):
    """Twenty requests released together for a limit of five: exactly five get through."""
    clients = [client_for(user) for _ in range(20)]

    statuses = race(lambda i: clients[i].get("/api/v1/auth/me").status_code, 20, indexed=True, db_slots=10)

    assert sorted(statuses) == [200] * 5 + [429] * 15
