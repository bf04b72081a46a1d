"""Every operation of the OpenAPI schema, fuzzed in process by schemathesis, as a customer and as staff.

No server and no network: schemathesis loads ``/api/v1/openapi.json`` from the WSGI application
and calls it directly (werkzeug's test client), inside the test's database transaction, so the
suite's PostgreSQL and Redis are used and nothing is left behind. Checks: no 5xx, every status
code documented, every response matching its documented schema and content type, schema-valid
requests accepted and schema-violating requests refused, plus schemathesis' other defaults.

The webhook routes are signed like n8n and Stripe sign them (``SigningApp``) whenever a request
carries the signature headers, so generated payloads reach the handlers instead of stopping at
the signature; a request without them is still refused with 401.

The seed is fixed by default (deterministic CI) and printed; ``FUZZ_SEED=<seed> make test`` (or pytest
on this file) replays a run, ``FUZZ_SEED=random`` explores a new one, and
``FUZZ_EXAMPLES`` sets the number of generated examples per operation (default 25); ``FUZZ_SHRINK=1``
shrinks a failure to its smallest request (slower).
"""

import base64
import hashlib
import hmac
import io
import os
import random
import time
from datetime import UTC, datetime

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from standardwebhooks.webhooks import Webhook

from accounts.tests.factories import UserFactory
from accounts.tokens import tokens_for
from ytempire.wsgi import application

# A fixed seed by default, so `make test` is deterministic (the same ~4,000 requests each run);
# FUZZ_SEED=<n> replays a run, FUZZ_SEED=random explores new ones (the seed is printed).
DEFAULT_SEED = 960252477
_SEED = os.environ.get("FUZZ_SEED", "")
SEED = random.SystemRandom().randrange(2**32) if _SEED == "random" else int(_SEED or DEFAULT_SEED)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 25)
SHRINK = os.environ.get("FUZZ_SHRINK", "") not in ("", "0")
_ANNOUNCED: list[int] = []
N8N_SECRET = "whsec_" + base64.b64encode(b"fuzz-n8n-secret-0123456789abcdef").decode()
STRIPE_SECRET = "whsec_fuzz_stripe_secret"

# Where the service answers 5xx by design and documents it: Stripe is not configured in tests
# (billing answers 503 "not configured" rather than reaching the network).
DOCUMENTED_5XX = {
    "/api/v1/billing/checkout/": ["503"],
    "/api/v1/billing/portal/": ["503"],
}
# Schema-valid requests that rules the schema cannot express refuse with a 400 naming the field:
# a weak or taken password/email, created_after later than created_before, from after to (or
# more than 366 days apart), a completed render without its video_path.
BUSINESS_400 = (
    "/api/v1/auth/register/",
    "/api/v1/auth/password/",
    "/api/v1/videos/",
    "/api/v1/costs/daily/",
    "/api/v1/webhooks/n8n/video-complete/",
    # A date range whose start is after its end, or longer than 366 days.
    "/api/v1/analytics/overview/",
    "/api/v1/analytics/channels/{channel_id}/",
    "/api/v1/analytics/videos/",
    # An unknown Google project; an unknown, expired or used OAuth state (single use, from Google).
    "/api/v1/youtube/oauth/authorize/",
    "/api/v1/youtube/oauth/callback/",
)


def _config() -> SchemathesisConfig:
    operations = [
        {"include-path": path, "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", *codes]}}}
        for path, codes in DOCUMENTED_5XX.items()
    ] + [
        {
            "include-path": path,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
                }
            },
        }
        for path in BUSINESS_400
    ]
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # NUL is refused everywhere (PostgreSQL cannot store it); core/tests/test_hostile_input.py covers it.
            "generation": {
                "max-examples": EXAMPLES,
                "mode": "all",
                "database": "none",
                "allow-x00": False,
                # Shrinking a failure can cost more requests than finding it; the seed replays it.
                "no-shrink": not SHRINK,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "operations": operations,
        }
    )


class SigningApp:
    """The WSGI app behind a signer: n8n's Standard Webhooks and Stripe's signature computed
    over the exact body, with a fresh timestamp, when the request carries the headers."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        n8n = path.startswith("/api/v1/webhooks/n8n/") and all(
            environ.get(f"HTTP_WEBHOOK_{name}") for name in ("ID", "TIMESTAMP", "SIGNATURE")
        )
        stripe = path.startswith("/api/v1/webhooks/stripe") and environ.get("HTTP_STRIPE_SIGNATURE")
        if n8n or stripe:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and n8n:
                now = datetime.now(tz=UTC)
                environ["HTTP_WEBHOOK_TIMESTAMP"] = str(int(now.timestamp()))
                environ["HTTP_WEBHOOK_SIGNATURE"] = Webhook(N8N_SECRET).sign(environ["HTTP_WEBHOOK_ID"], now, text)
            elif text is not None:
                timestamp = int(time.time())
                digest = hmac.new(STRIPE_SECRET.encode(), f"{timestamp}.{text}".encode(), hashlib.sha256)
                environ["HTTP_STRIPE_SIGNATURE"] = f"t={timestamp},v1={digest.hexdigest()}"
        return self.app(environ, start_response)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", SigningApp(application), config=_config())


@pytest.fixture(autouse=True)
def _in_process(settings, capsys):
    """Requests share the test's transaction (as Django's test client does: the WSGI handler
    would close the connection after each request), throttles stay out of the way, the webhook
    secrets are known to the signer, and the seed is shown whatever pytest captures."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min")}
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.STRIPE_SECRET_KEY = ""
    if not _ANNOUNCED:
        _ANNOUNCED.append(SEED)
        with capsys.disabled():
            print(f"\n[schemathesis] seed {SEED}, {EXAMPLES} examples per operation; replay: FUZZ_SEED={SEED}")  # noqa: T201
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["customer", "staff"])
def bearer(request, db):
    staff = request.param == "staff"
    user = UserFactory(is_staff=True, is_superuser=True, role="admin") if staff else UserFactory()
    return {"Authorization": f"Bearer {tokens_for(user)['access_token']}"}


def _vanishes(value) -> bool:
    return value is None or value in ([], {}) or (isinstance(value, list) and all(map(_vanishes, value)))


def _negative_query_vanishes_on_the_wire(case) -> bool:
    """schemathesis 4.32 can make a query "schema-violating" by adding an unknown parameter whose
    value is None, [] or {}: it serialises to nothing, so the request the server receives is
    valid and a 2xx is right. Such a case tests nothing (seen once in CI: an extra parameter on
    /analytics/overview/ that never reached the URL)."""
    meta = getattr(case, "meta", None)
    negative_query = meta is not None and meta.is_negative_at(ParameterLocation.QUERY)
    return negative_query and any(_vanishes(value) for value in (case.query or {}).values())


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
def test_every_operation_keeps_its_contract(case, bearer):
    if _negative_query_vanishes_on_the_wire(case):
        return
    try:
        case.call_and_validate(headers=bearer)
    except Exception as exc:
        exc.add_note(f"schemathesis seed {SEED}: replay with FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES}")
        raise
