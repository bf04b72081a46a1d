"""What is measured: each endpoint's requests (rotating over the seeded users and their data), its
goal from issue 14, and which server answers it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .constants import BENCH_PASSWORD
from .http import RequestSpec, json_body


@dataclass
class Endpoint:
    key: str
    label: str
    specs: list[RequestSpec] = field(default_factory=list)
    # Built per request instead (webhook deliveries: unique id, fresh timestamp).
    factory: Callable[[int], RequestSpec] | None = None
    server: str = "main"
    goal_ratio: float | None = None  # rps / B (or / ratio_to)
    ratio_to: str = "B"
    goal_p95_ms: float | None = None
    goal_p95_vs: tuple[str, float] | None = None  # ("hash", 1.3): p95 <= 1.3 x that endpoint's p95
    open_loop: bool = True
    slow: bool = False  # CPU-bound by design (password hashing): open loop below its capacity
    note: str = ""

    def spec(self, i: int) -> RequestSpec:
        return self.factory(i) if self.factory else self.specs[i % len(self.specs)]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _interleave(per_user: list[list]) -> list:
    """Round-robin across users: consecutive requests come from different users."""
    out, depth = [], max((len(items) for items in per_user), default=0)
    for k in range(depth):
        out.extend(items[k] for items in per_user if k < len(items))
    return out


def build(
    *,
    users: list[dict],
    processing_video_ids: list,
    webhook_secret: str,
    analytics_path: str | None,
) -> list[Endpoint]:
    """``users``: dicts with email, token, channel_ids (all), active_channel_ids."""
    from standardwebhooks.webhooks import Webhook

    signer = Webhook(webhook_secret)
    tokens = [u["token"] for u in users]
    owned = _interleave([[(u["token"], c) for c in u["channel_ids"]] for u in users])
    active = _interleave([[(u["token"], c) for c in u["active_channel_ids"]] for u in users])

    def progress(i: int) -> RequestSpec:
        video_id = processing_video_ids[i % len(processing_video_ids)]
        body = json_body({"video_id": str(video_id), "step": "render", "percent": 50, "message": "bench"})
        msg_id = f"msg_bench_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(msg_id=msg_id, timestamp=now, data=body.decode()),
        }
        return RequestSpec("POST", "/api/v1/webhooks/n8n/progress", headers, body)

    endpoints = [
        Endpoint("B", "B (baseline view)", [RequestSpec("GET", "/bench/b")]),
        Endpoint(
            "channels_list",
            "GET /api/v1/channels?limit=25",
            [RequestSpec("GET", "/api/v1/channels?limit=25", _auth(t)) for t in tokens],
            goal_ratio=0.40,
            goal_p95_ms=20,
        ),
        Endpoint(
            "channel_detail",
            "GET /api/v1/channels/{id}",
            [RequestSpec("GET", f"/api/v1/channels/{c}", _auth(t)) for t, c in owned],
            goal_ratio=0.50,
            goal_p95_ms=15,
        ),
        Endpoint(
            "videos_list",
            "GET /api/v1/videos?channel_id=…&limit=25",
            [RequestSpec("GET", f"/api/v1/videos?channel_id={c}&limit=25", _auth(t)) for t, c in owned],
            goal_ratio=0.40,
            goal_p95_ms=20,
        ),
        Endpoint(
            "costs_summary",
            "GET /api/v1/costs/summary",
            [RequestSpec("GET", "/api/v1/costs/summary", _auth(t)) for t in tokens],
            goal_ratio=0.70,
            goal_p95_ms=10,
        ),
    ]
    if analytics_path:
        endpoints.append(
            Endpoint(
                "analytics_overview",
                f"GET {analytics_path}",
                [RequestSpec("GET", analytics_path, _auth(t)) for t in tokens],
                goal_ratio=0.30,
                goal_p95_ms=100,
                note="the goal is stated at 100,000 videos (--videos 100000)",
            )
        )
    endpoints += [
        Endpoint(
            "generate",
            "POST /api/v1/videos/generate (202)",
            [
                RequestSpec(
                    "POST",
                    "/api/v1/videos/generate",
                    _auth(t),
                    json_body({"channel_id": str(c), "title": f"Bench generate {k}"}),
                )
                for k, (t, c) in enumerate(active)
            ],
            goal_ratio=0.25,
            goal_p95_ms=30,
        ),
        Endpoint("webhook", "POST n8n progress webhook (signed)", factory=progress, goal_ratio=0.35, goal_p95_ms=25),
        Endpoint(
            "health",
            "GET /api/v1/health",
            [RequestSpec("GET", "/api/v1/health")],
            goal_ratio=0.90,
            goal_p95_ms=5,
        ),
        Endpoint(
            "login",
            "POST /api/v1/auth/login",
            [
                RequestSpec(
                    "POST", "/api/v1/auth/login", {}, json_body({"email": u["email"], "password": BENCH_PASSWORD})
                )
                for u in users
            ],
            goal_ratio=0.85,
            ratio_to="hash",
            goal_p95_vs=("hash", 1.3),
            slow=True,
        ),
        Endpoint(
            "hash",
            "password-hash-only view",
            [
                RequestSpec(
                    "POST", "/bench/password-check", {}, json_body({"email": u["email"], "password": BENCH_PASSWORD})
                )
                for u in users
            ],
            slow=True,
        ),
        Endpoint(
            "B_bare", "B without metrics and logging", [RequestSpec("GET", "/bench/b")], server="bare", open_loop=False
        ),
    ]
    return endpoints
