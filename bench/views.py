"""The two bench-only baselines, served only by bench.urls (ytempire.settings.bench).

``baseline``: B, a function view returning precomputed JSON: the floor every endpoint is compared
with (the same process, middleware, logging and metrics; no DRF, no database, no cache).
``password_check``: parses a login body and checks the password against a precomputed hash of the
production hasher (PBKDF2, Django's iteration count) and nothing else: the floor of login.
"""

import json

from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .constants import BENCH_PASSWORD

# About the size of a channel detail answer.
BASELINE_BODY = json.dumps(
    {
        "id": "2f0e4c1a-8c1e-4d5e-9a40-3b7d1c0e9f11",
        "name": "Baseline channel",
        "niche": "technology",
        "status": "active",
        "description": "A precomputed answer: the floor every endpoint is measured against.",
        "automation_enabled": True,
        "daily_video_limit": 5,
        "upload_time_utc": "14:00",
        "total_videos": 40,
        "total_views": 123456,
        "total_subscribers": 789,
        "youtube": {"connected": True, "channel_id": "UCbaseline", "handle": "@baseline"},
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
    }
).encode()
_HASH_OK = json.dumps({"ok": True}).encode()
_ENCODED = make_password(BENCH_PASSWORD)  # once per worker, at import


@require_GET
def baseline(request):
    return HttpResponse(BASELINE_BODY, content_type="application/json")


@csrf_exempt  # as DRF's APIView is
@require_POST
def password_check(request):
    try:
        password = json.loads(request.body)["password"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse(b'{"detail": "bad body"}', status=400, content_type="application/json")
    if not check_password(password, _ENCODED):
        return HttpResponse(b'{"detail": "bad password"}', status=401, content_type="application/json")
    return HttpResponse(_HASH_OK, content_type="application/json")
