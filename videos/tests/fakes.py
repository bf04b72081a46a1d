"""Local fake servers speaking the wire formats of OpenAI, ElevenLabs, Google TTS and N8N.

Each runs a threaded ``http.server`` on 127.0.0.1 with a free port; the project's real client
code (the ``openai`` client, ``requests``) talks to it. ``fail_next(status, n)`` makes the
next ``n`` requests fail with the provider's real error body.
"""

import base64
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeServer:
    def __init__(self):
        self.requests: list[dict] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                record = {
                    "method": self.command,
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": raw,
                }
                with fake._lock:
                    fake.requests.append(record)
                    failure = fake._failures.popleft() if fake._failures else None
                if failure is not None:
                    status, body = failure, fake.error_body(failure)
                    content_type = "application/json"
                else:
                    status, body, content_type = fake.route(record)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def error_body(self, status: int) -> dict:
        return {"error": {"code": status, "message": f"fake error {status}"}}

    def route(self, record: dict):  # pragma: no cover - overridden
        raise NotImplementedError


class FakeOpenAI(FakeServer):
    """POST /v1/chat/completions with the real response shape (choices, usage)."""

    def __init__(self, *, prompt_tokens: int = 120, completion_tokens: int = 480):
        super().__init__()
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens

    def error_body(self, status: int) -> dict:
        kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
        return {"error": {"message": f"fake OpenAI error {status}", "type": kind, "param": None, "code": kind}}

    def route(self, record):
        if record["method"] != "POST" or not record["path"].endswith("/chat/completions"):
            return 404, self.error_body(404), "application/json"
        request = json.loads(record["body"])
        system = request["messages"][0]["content"]
        user = request["messages"][-1]["content"]
        if '"titles"' in system:
            count = int(system.split("exactly ")[1].split()[0])
            content = json.dumps({"titles": [f"Fresh title {i} ({len(self.requests)})" for i in range(count)]})
        else:
            title = next((line[7:] for line in user.splitlines() if line.startswith("Title: ")), "video")
            content = json.dumps(
                {"script": f"Narration for {title}. " * 20, "description": f"About {title}.", "tags": ["fake", "ai"]}
            )
        return (
            200,
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": request["model"],
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": self.prompt_tokens,
                    "completion_tokens": self.completion_tokens,
                    "total_tokens": self.prompt_tokens + self.completion_tokens,
                },
            },
            "application/json",
        )


class FakeTTS(FakeServer):
    """ElevenLabs (POST /v1/text-to-speech/{voice}, audio/mpeg) and Google (POST /v1/text:synthesize)."""

    AUDIO = b"ID3\x03\x00\x00\x00\x00\x00\x00fake-mp3-frames"

    def error_body(self, status: int) -> dict:
        return {"detail": {"status": "error", "message": f"fake TTS error {status}"}}

    def route(self, record):
        if record["path"].startswith("/v1/text-to-speech/"):
            if not record["headers"].get("xi-api-key"):
                return 401, {"detail": {"status": "invalid_api_key", "message": "missing key"}}, "application/json"
            return 200, self.AUDIO, "audio/mpeg"
        if record["path"] == "/v1/text:synthesize":
            return 200, {"audioContent": base64.b64encode(self.AUDIO).decode()}, "application/json"
        return 404, self.error_body(404), "application/json"


class FakeN8N(FakeServer):
    """The render workflow's webhook trigger: checks the header credential, answers like n8n."""

    def __init__(self, *, api_key: str):
        super().__init__()
        self.api_key = api_key

    def error_body(self, status: int) -> dict:
        return {"code": status, "message": f"fake n8n error {status}"}

    def route(self, record):
        if record["headers"].get("x-n8n-api-key") != self.api_key:
            return 403, {"code": 403, "message": "Authorization data is wrong!"}, "application/json"
        return 200, {"executionId": f"exec-{len(self.requests)}"}, "application/json"
