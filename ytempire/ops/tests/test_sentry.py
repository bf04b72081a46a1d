"""Sentry: off without SENTRY_DSN; with it, Django and Celery integrations, no personal data, and the logs'
secret redaction (plus email addresses) applied by before_send. The end-to-end test sends to a local fake
Sentry server from a separate process."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from django.conf import settings as django_settings

from ytempire.core.logging import sentry_before_send

BASE_DIR = Path(django_settings.BASE_DIR)
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
WHSEC = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3"
STRIPE_KEY = "sk_live_51Habcdefghijklmnop"
PASSWORD = "Tr0ub4dor&3-horse"
EMAILS = ("alice@example.com", "bob.smith@customer.co.uk")
SECRETS = (BEARER, WHSEC, STRIPE_KEY, PASSWORD, "abc123sessionid", "refresh-1//0gXYZ", *EMAILS)


def _event() -> dict:
    """An event shaped as sentry-sdk hands it to before_send (Django request, exception, extra, breadcrumbs)."""
    return {
        "event_id": "0123456789abcdef0123456789abcdef",
        "level": "error",
        "platform": "python",
        "release": "ytempire@0.1.0",
        "environment": "production",
        "message": f"login failed for {EMAILS[0]} with Authorization: Bearer {BEARER}",
        "logentry": {"message": "charge failed with key %s", "params": [STRIPE_KEY], "formatted": f"key {STRIPE_KEY}"},
        "exception": {
            "values": [
                {
                    "type": "SignatureError",
                    "value": f"bad signature with secret {WHSEC} from {EMAILS[1]}",
                    "stacktrace": {
                        "frames": [
                            {"function": "login", "vars": {"password": PASSWORD, "email": EMAILS[0], "attempt": "2"}}
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://api.example.com/api/v1/auth/login",
            "method": "POST",
            "query_string": "token=refresh-1//0gXYZ&next=/",
            "data": {"email": EMAILS[0], "password": PASSWORD, "remember": True},
            "headers": {"Authorization": f"Bearer {BEARER}", "Cookie": "sessionid=abc123sessionid", "Accept": "*/*"},
            "cookies": {"sessionid": "abc123sessionid"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        },
        "extra": {"api_key": STRIPE_KEY, "note": f"customer {EMAILS[1]}", "count": 3},
        "breadcrumbs": {"values": [{"category": "log", "message": f"Bearer {BEARER} rejected for {EMAILS[1]}"}]},
        "user": {"id": "42", "email": EMAILS[0]},
    }


def test_before_send_redacts_secrets_and_emails_everywhere_in_the_event():
    event = _event()
    scrubbed = sentry_before_send(event, {})
    flat = json.dumps(scrubbed)
    for secret in SECRETS:
        assert secret not in flat, secret

    # the shape survives, and what is not secret is kept
    assert scrubbed["request"]["data"]["password"] == "[REDACTED]"
    assert scrubbed["request"]["data"]["email"] == "[EMAIL]" and scrubbed["request"]["data"]["remember"] is True
    assert scrubbed["request"]["headers"]["Authorization"] == "[REDACTED]"
    assert scrubbed["request"]["headers"]["Cookie"] == "[REDACTED]"
    assert scrubbed["request"]["headers"]["Accept"] == "*/*"
    assert scrubbed["request"]["cookies"] == "[REDACTED]"
    assert scrubbed["request"]["method"] == "POST" and scrubbed["request"]["env"] == {"REMOTE_ADDR": "10.0.0.1"}
    assert scrubbed["exception"]["values"][0]["type"] == "SignatureError"
    assert scrubbed["exception"]["values"][0]["value"] == "bad signature with secret [REDACTED-KEY] from [EMAIL]"
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["password"] == "[REDACTED]"
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["attempt"] == "2"
    assert scrubbed["message"] == "login failed for [EMAIL] with Authorization: Bearer [REDACTED]"
    assert scrubbed["extra"] == {"api_key": "[REDACTED]", "note": "customer [EMAIL]", "count": 3}
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == "Bearer [REDACTED] rejected for [EMAIL]"
    assert scrubbed["user"] == {"id": "42", "email": "[EMAIL]"}
    # Sentry's own fields are left alone; the input is not modified
    assert scrubbed["release"] == "ytempire@0.1.0" and scrubbed["event_id"] == event["event_id"]
    assert event["request"]["data"]["password"] == PASSWORD


def test_sentry_is_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


class _FakeSentry(BaseHTTPRequestHandler):
    envelopes: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.envelopes.append(body.decode())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        return


@pytest.fixture
def fake_sentry():
    _FakeSentry.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


REPORT = """
import django
django.setup()
import sentry_sdk
from django.conf import settings

client = sentry_sdk.get_client()
assert client.is_active(), "sentry should be on"
assert client.options["send_default_pii"] is False
names = sorted(client.integrations)
print("INTEGRATIONS", ",".join(names))
sentry_sdk.set_extra("api_key", "sk_live_51Habcdefghijklmnop")
try:
    raise RuntimeError("refused for alice@example.com with whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(10)
"""


def _events(envelopes: list[str]) -> list[dict]:
    events = []
    for envelope in envelopes:
        lines = envelope.split("\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_with_a_dsn_errors_reach_sentry_redacted_with_environment_and_release(fake_sentry):
    port = fake_sentry.server_address[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ytempire.settings.test",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/7",
        "SENTRY_ENVIRONMENT": "ci-check",
        "SENTRY_RELEASE": "ytempire@test-release",
    }
    done = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    integrations = done.stdout.split("INTEGRATIONS ", 1)[1].split()[0].split(",")
    assert {"django", "celery"} <= set(integrations)

    events = _events(_FakeSentry.envelopes)
    assert len(events) == 1, _FakeSentry.envelopes
    event = events[0]
    assert event["environment"] == "ci-check" and event["release"] == "ytempire@test-release"
    flat = json.dumps(event)
    for secret in (STRIPE_KEY, WHSEC, EMAILS[0]):
        assert secret not in flat, secret
    assert event["exception"]["values"][0]["value"] == "refused for [EMAIL] with [REDACTED-KEY]"
    assert event["extra"]["api_key"] == "[REDACTED]"
