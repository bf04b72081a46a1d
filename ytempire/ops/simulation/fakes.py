"""The tests' fake providers, wrapped for a simulated day: realistic answers, faults, the clock.

The fakes themselves (``videos.tests.fakes``, ``youtube_pool.tests.fake_youtube``) are used as they
are; this module subclasses them and puts a handler subclass in front of their request handling:

- OpenAI answers scripts of realistic, seeded lengths (so TTS, render and their costs vary, with a
  long tail that reaches the cost thresholds) and counts tokens from the text;
- every provider fails a request now and then (``Faults.transient``): a 5xx/429 with the
  provider's real error body, or a "timeout" — the connection dropped without an answer after a
  short wait (a real client timeout is 30-120 real seconds, i.e. hours at the simulation's speed);
- YouTube resets its quota and the channels' counts at Pacific midnight of the simulated clock,
  logs every upload it accepts (the truth the report checks), can lose the answer to a final chunk
  (the outcome unknown to the client), revoke a channel's grant and exhaust a project's quota;
- N8N accepts render requests and hands them to the simulated render workflow (``n8n``).
"""

import contextlib
import itertools
import json
import math
import socket
import time
import urllib.parse
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from videos.tests.fakes import FakeN8N, FakeOpenAI, FakeTTS
from youtube_pool.tests.fake_youtube import BACKEND_ERROR, FakeYouTube

from .faults import Faults, TruthLog

PACIFIC = ZoneInfo("America/Los_Angeles")
TIMEOUT_WAIT = 0.3  # real seconds a "timeout" keeps the client waiting before the drop
ERROR_STATUSES = {"openai": (500, 503, 429), "tts": (500, 503, 429), "n8n": (502, 503)}


def _drop(handler) -> None:
    time.sleep(TIMEOUT_WAIT)
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def _faulty_handler(base, *, fake, provider: str, faults: Faults):
    """A subclass of a FakeServer's handler that fails some requests before the fake sees them."""

    class Faulty(base):
        def _handle(self):
            kind = faults.transient(provider)
            if kind is None:
                return base._handle(self)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if kind == "timeout":
                _drop(self)
                return None
            status = faults.dice.choice(ERROR_STATUSES[provider])
            payload = json.dumps(fake.error_body(status)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return None

        do_GET = do_POST = do_PUT = _handle  # noqa: N815 - http.server's method names

    return Faulty


class _Faulty:
    provider = ""

    def install_faults(self, faults: Faults) -> None:
        self.server.RequestHandlerClass = _faulty_handler(
            self.server.RequestHandlerClass, fake=self, provider=self.provider, faults=faults
        )
        # The fakes keep every request; a simulated day does not need their bodies.
        self.requests = _CountingList()


class _CountingList(list):
    """Keeps the count of what is appended (the fakes number their answers with it), not the items."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def append(self, item) -> None:
        self.n += 1

    def __len__(self) -> int:
        return self.n


class SimOpenAI(_Faulty, FakeOpenAI):
    """Scripts of seeded, realistic length: ~350 words, a long tail up to the max_tokens cap."""

    provider = "openai"

    def __init__(self, *, faults: Faults, long_script_rate: float = 0.03):
        super().__init__()
        self.dice = faults.dice
        self.long_script_rate = long_script_rate
        self.install_faults(faults)

    def route(self, record):
        if record["method"] != "POST" or not record["path"].endswith("/chat/completions"):
            return super().route(record)
        request = json.loads(record["body"])
        system = request["messages"][0]["content"]
        user = request["messages"][-1]["content"]
        if '"titles"' in system:
            return super().route(record)
        title = next((line[7:] for line in user.splitlines() if line.startswith("Title: ")), "video")
        max_tokens = int(request.get("max_tokens") or 2000)
        if self.dice.chance(self.long_script_rate):
            words = int(self.dice.uniform(1200, 2000))
        else:
            words = int(min(600, max(150, self.dice.gauss(350, 70))))
        words = min(words, int((max_tokens - 60) / 1.5))
        sentence = f"Here is one more thing worth knowing about {title}. "
        script = (sentence * (words // max(1, len(sentence.split())) + 1)).split()[:words]
        content = json.dumps(
            {"script": " ".join(script), "description": f"About {title}.", "tags": ["simulated", "ytempire"]}
        )
        prompt_tokens = math.ceil((len(system) + len(user)) / 4) + 8
        completion_tokens = math.ceil(len(content) / 4)
        return (
            200,
            {
                "id": f"chatcmpl-sim-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request["model"],
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            "application/json",
        )


class SimTTS(_Faulty, FakeTTS):
    provider = "tts"

    def __init__(self, *, faults: Faults):
        super().__init__()
        self.install_faults(faults)


class SimN8N(_Faulty, FakeN8N):
    """The render workflow's trigger: checks the credential, answers with a unique execution id,
    and hands the request to the simulated workflow (which calls the API back later)."""

    provider = "n8n"

    def __init__(self, *, api_key: str, faults: Faults, workflow):
        super().__init__(api_key=api_key)
        self.workflow = workflow
        self._ids = itertools.count(1)
        self.install_faults(faults)

    def route(self, record):
        if record["headers"].get("x-n8n-api-key") != self.api_key:
            return 403, {"code": 403, "message": "Authorization data is wrong!"}, "application/json"
        execution_id = str(next(self._ids))
        self.workflow.accept(execution_id=execution_id, payload=json.loads(record["body"]))
        return 200, {"executionId": execution_id, "status": "accepted"}, "application/json"


class _SimYouTubeHandler:
    """Mixed in front of the fake's handler (``fake`` is the SimYouTube)."""

    def _dispatch(self):
        fake = self.fake
        fake.follow_pacific_day()
        path = urllib.parse.urlsplit(self.path).path
        if path != "/o/oauth2/auth":
            kind = fake.faults.transient("youtube")
            if kind is not None:
                body = self._body()
                if kind == "timeout" or body is None:
                    _drop(self)
                else:
                    self._error(*BACKEND_ERROR)
                return
        super()._dispatch()

    def _upload_chunk(self, query, body):
        fake = self.fake
        upload_id = query.get("upload_id", "")
        with fake.lock:
            session = fake.sessions.get(upload_id)
            before = session["video_id"] if session else None
            spec, _, total = self.headers.get("Content-Range", "").replace("bytes ", "").partition("/")
            final = bool(session and before is None and spec != "*" and total.isdigit())
            if final:
                final = int(spec.partition("-")[2] or -1) + 1 >= int(total)
            if final and fake.faults.final_chunk_answer_lost():
                fake.drop_final_chunk = 1  # the fake stores the video, then drops the answer
        super()._upload_chunk(query, body)
        with fake.lock:
            if session and before is None and session["video_id"] is not None:
                video = fake.videos[session["video_id"]]
                fake.record_upload(session=session, video=video)
                session["data"] = bytearray()  # the bytes are not needed once the video exists


class SimYouTube(FakeYouTube):
    def __init__(self, *, faults: Faults, truth: TruthLog):
        super().__init__()
        self.faults = faults
        self.truth = truth
        self.pacific_day = None
        self.uploads: list[dict] = []

    def start(self) -> "SimYouTube":
        super().start()
        base = self.server.RequestHandlerClass
        self.server.RequestHandlerClass = type("SimYouTubeHandler", (_SimYouTubeHandler, base), {})
        self.requests = _CountingList()
        return self

    def follow_pacific_day(self) -> None:
        """YouTube's quota day ends at midnight Pacific: reset when the simulated clock crossed one."""
        now = timezone.now()
        day = now.astimezone(PACIFIC).date()
        with self.lock:
            if self.pacific_day is None:
                self.pacific_day = day
            elif day != self.pacific_day:
                self.truth.record(
                    "youtube_day_usage",
                    now,
                    pacific_day=self.pacific_day.isoformat(),
                    projects={cid: dict(p.used) for cid, p in self.projects.items()},
                )
                self.pacific_day = day
                self.reset_day()
                self.truth.record("youtube_quota_reset", now, pacific_day=day.isoformat())

    def record_upload(self, *, session: dict, video: dict) -> None:
        tags = video["snippet"].get("tags") or []
        marker = next((tag for tag in tags if str(tag).startswith("ytempire-")), "")
        self.uploads.append(
            {
                "at": timezone.now().isoformat(),
                "youtube_channel_id": video["channel_id"],
                "client_id": session["client_id"],
                "youtube_video_id": video["id"],
                "marker": marker,
            }
        )

    # --- world faults ------------------------------------------------------------------------
    def revoke_channel(self, channel_id: str) -> int:
        """The channel's owner revoked the app's grant at Google: refresh answers invalid_grant."""
        with self.lock:
            tokens = [token for token, data in self.refresh_tokens.items() if data["channel_id"] == channel_id]
            for token in tokens:
                self.revoke(token)
            return len(tokens)

    def exhaust_project(self, client_id: str) -> None:
        """The project's upload bucket is spent elsewhere (quotaExceeded until the reset)."""
        with self.lock:
            project = self.projects[client_id]
            project.used["uploads"] = project.limits["uploads"]

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "projects": {cid: {"limits": dict(p.limits), "used": dict(p.used)} for cid, p in self.projects.items()},
                "channels": {
                    cid: {"email": c.email, "upload_cap": c.upload_cap, "uploads_today": c.uploads_today}
                    for cid, c in self.channels.items()
                },
            }


def pacific_midnights(start: datetime, end: datetime) -> list[datetime]:
    """The Pacific midnights in [start, end)."""
    found = []
    day = start.astimezone(PACIFIC).date()
    while True:
        day = day.fromordinal(day.toordinal() + 1)
        midnight = datetime(day.year, day.month, day.day, tzinfo=PACIFIC)
        if midnight >= end:
            return found
        if midnight >= start:
            found.append(midnight)
