"""A local fake of Google's OAuth endpoints and the YouTube Data API v3, for tests.

A threaded ``http.server`` on 127.0.0.1 (random port) speaking the real wire format, so the real
google-api-python-client, google-auth and google-auth-oauthlib code runs against it:

- ``GET  /o/oauth2/auth``   consent screen: 302 back to redirect_uri with ``code`` and ``state``
  (or ``error=access_denied`` for an unknown login_hint); keeps the PKCE challenge.
- ``POST /token``           authorization_code (PKCE S256 checked) and refresh_token grants;
  ``{"error": "invalid_grant", ...}`` for bad, used or revoked codes and tokens.
- ``GET  /youtube/v3/channels?mine=true``, ``/youtube/v3/videos?id=``, ``/youtube/v3/playlistItems``
- ``POST /upload/youtube/v3/videos?uploadType=resumable`` then ``PUT`` chunks with Content-Range
  (``308 Resume Incomplete`` + Range until complete; ``bytes */N`` status queries)
- ``POST /upload/youtube/v3/thumbnails/set``

Quota is metered per project (the OAuth client id behind the access token) in YouTube's three
buckets, and each channel has an upload cap; errors carry YouTube's real bodies (quotaExceeded,
uploadLimitExceeded, authError, backendError). ``fail_next`` and ``drop_final_chunk_responses``
inject failures. Use as a context manager or call ``start()``/``stop()``.

It serves HTTPS with a throw-away certificate for 127.0.0.1 (``ca_file`` is the file to trust):
google-api-python-client keeps https for media uploads whatever ``api_endpoint`` says.
"""

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COSTS = {
    ("GET", "/youtube/v3/channels"): ("units", 1),
    ("GET", "/youtube/v3/videos"): ("units", 1),
    ("GET", "/youtube/v3/playlistItems"): ("units", 1),
    ("GET", "/youtube/v3/search"): ("searches", 1),
    ("POST", "/upload/youtube/v3/videos"): ("uploads", 1),
    ("POST", "/upload/youtube/v3/thumbnails/set"): ("units", 50),
}


def error_body(code: int, reason: str, message: str, domain: str = "youtube.quota", status: str = "") -> dict:
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    if status:
        body["error"]["status"] = status
    return body


QUOTA_EXCEEDED = (
    403,
    "quotaExceeded",
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    "youtube.quota",
)
UPLOAD_LIMIT = (
    400,
    "uploadLimitExceeded",
    "The user has exceeded the number of videos they may upload.",
    "youtube.video",
)
BACKEND_ERROR = (503, "backendError", "The service is currently unavailable.", "global")
AUTH_ERROR = (
    401,
    "authError",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential.",
    "global",
)


_CERT: tuple[str, str] | None = None


def test_certificate() -> tuple[str, str]:
    """(cert_file, key_file): a self-signed certificate for 127.0.0.1, made once per process."""
    global _CERT
    if _CERT is None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder = tempfile.mkdtemp(prefix="fake-youtube-")
        cert_file, key_file = f"{folder}/cert.pem", f"{folder}/key.pem"
        with open(cert_file, "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_file, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        _CERT = (cert_file, key_file)
    return _CERT


@dataclass
class Project:
    client_id: str
    client_secret: str
    limits: dict = field(default_factory=lambda: {"uploads": 100, "searches": 100, "units": 10_000})
    used: dict = field(default_factory=lambda: {"uploads": 0, "searches": 0, "units": 0})


@dataclass
class Channel:
    channel_id: str
    email: str
    handle: str
    upload_cap: int = 100
    uploads_today: int = 0


@dataclass
class Failure:
    remaining: int
    status: int
    reason: str
    message: str
    domain: str
    match: str  # "any", "upload_chunk", "upload_start", "thumbnail", "api", "token"


class FakeYouTube:
    def __init__(self):
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.channels: dict[str, Channel] = {}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.failures: list[Failure] = []
        self.drop_session_responses: dict[str, int] = {}
        self.drop_final_chunk = 0
        self.requests: list[tuple[str, str]] = []
        self.thumbnails: dict[str, int] = {}
        self.grant_offline = True
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "FakeYouTube":
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        cert_file, key_file = test_certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def ca_file(self) -> str:
        return test_certificate()[0]

    @property
    def auth_uri(self) -> str:
        return f"{self.base_url}o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}token"

    # --- setup helpers ------------------------------------------------------------------------
    def add_project(self, client_id: str, client_secret: str = "", **limits) -> Project:
        with self.lock:
            project = Project(client_id, client_secret or f"secret-{client_id}")
            project.limits.update(limits)
            self.projects[client_id] = project
            return project

    def add_channel(self, email: str, *, channel_id: str = "", handle: str = "", upload_cap: int = 100) -> Channel:
        with self.lock:
            channel_id = channel_id or "UC" + secrets.token_hex(11)
            channel = Channel(channel_id, email.lower(), handle or "@" + email.split("@")[0], upload_cap)
            self.channels[channel_id] = channel
            return channel

    def issue_tokens(self, client_id: str, channel_id: str, *, expires_in: int = 3599) -> tuple[str, str]:
        """(access_token, refresh_token) as if the channel had consented to the client."""
        with self.lock:
            access, refresh = "ya29." + secrets.token_urlsafe(24), "1//" + secrets.token_urlsafe(32)
            self.access_tokens[access] = {
                "client_id": client_id,
                "channel_id": channel_id,
                "expires_at": time.time() + expires_in,
            }
            self.refresh_tokens[refresh] = {"client_id": client_id, "channel_id": channel_id, "revoked": False}
            return access, refresh

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens[refresh_token]["revoked"] = True
            for data in self.access_tokens.values():
                if data["channel_id"] == self.refresh_tokens[refresh_token]["channel_id"]:
                    data["expires_at"] = 0

    def expire_access_tokens(self) -> None:
        with self.lock:
            for data in self.access_tokens.values():
                data["expires_at"] = 0

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        reason: str = "backendError",
        message: str = "The service is currently unavailable.",
        domain: str = "global",
        match: str = "any",
    ) -> None:
        with self.lock:
            self.failures.append(Failure(count, status, reason, message, domain, match))

    def drop_final_chunk_responses(self, times: int = 100) -> None:
        """Store the final chunk (the video is created) but close the connection without an answer,
        for this many requests to that upload session (httplib2 retries once by itself)."""
        with self.lock:
            self.drop_final_chunk = times

    def reset_day(self) -> None:
        with self.lock:
            for project in self.projects.values():
                project.used = dict.fromkeys(project.used, 0)
            for channel in self.channels.values():
                channel.uploads_today = 0

    def videos_of(self, channel_id: str) -> list[dict]:
        with self.lock:
            return [v for v in self.videos.values() if v["channel_id"] == channel_id]

    def count(self, method: str, path_prefix: str) -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYouTube
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    # --- plumbing -----------------------------------------------------------------------------
    def _body(self) -> bytes | None:
        """The request body, or None when it does not arrive in time (httplib2 re-sends a consumed
        upload stream as an empty body after a dropped connection: the length never comes)."""
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return b""
        self.connection.settimeout(0.3)
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            return None
        finally:
            self.connection.settimeout(None)
        return data if len(data) == length else None

    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status, "Resume Incomplete" if status == 308 else None)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, reason: str, message: str, domain: str) -> None:
        statuses = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT"}
        self._send(status, error_body(status, reason, message, domain, statuses.get(status, "")))

    def _drop(self) -> None:
        """Close the connection without an answer (the client sees a reset / remote disconnect)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _kind(self, path: str) -> str:
        if path == "/token":
            return "token"
        if path.startswith("/upload/youtube/v3/videos"):
            return "upload_chunk" if self.command == "PUT" else "upload_start"
        if path.startswith("/upload/youtube/v3/thumbnails"):
            return "thumbnail"
        return "api"

    def _injected_failure(self, path: str) -> Failure | None:
        kind = self._kind(path)
        with self.fake.lock:
            for failure in self.fake.failures:
                if failure.remaining > 0 and failure.match in ("any", kind):
                    failure.remaining -= 1
                    return failure
        return None

    def _dispatch(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        path, query = parsed.path, dict(urllib.parse.parse_qsl(parsed.query))
        body = self._body()
        if body is None:
            self._drop()
            return
        with self.fake.lock:
            self.fake.requests.append((self.command, path))
        if path != "/o/oauth2/auth":
            failure = self._injected_failure(path)
            if failure is not None:
                self._error(failure.status, failure.reason, failure.message, failure.domain)
                return
        if path == "/o/oauth2/auth" and self.command == "GET":
            self._authorize(query)
        elif path == "/token" and self.command == "POST":
            self._token(body)
        elif path.startswith(("/youtube/v3/", "/upload/youtube/v3/")):
            self._api(path, query, body)
        else:
            self._send(404, {"error": {"code": 404, "message": "Not Found"}})

    do_GET = do_POST = do_PUT = lambda self: self._dispatch()  # noqa: E731

    # --- OAuth --------------------------------------------------------------------------------
    def _authorize(self, query: dict) -> None:
        fake = self.fake
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        with fake.lock:
            channel = next((c for c in fake.channels.values() if c.email == query.get("login_hint", "").lower()), None)
            if channel is None or query.get("client_id") not in fake.projects:
                params = {"error": "access_denied", "state": state}
            else:
                code = "4/" + secrets.token_urlsafe(24)
                fake.codes[code] = {
                    "client_id": query["client_id"],
                    "channel_id": channel.channel_id,
                    "redirect_uri": redirect_uri,
                    "challenge": query.get("code_challenge"),
                    "method": query.get("code_challenge_method"),
                    "scope": query.get("scope", ""),
                    "offline": query.get("access_type") == "offline" and query.get("prompt") == "consent",
                }
                params = {"code": code, "state": state, "scope": query.get("scope", "")}
        self._send(302, None, {"Location": f"{redirect_uri}?{urllib.parse.urlencode(params)}"})

    def _client(self, form: dict) -> Project | None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            client_id, secret = urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
        project = self.fake.projects.get(client_id or "")
        return project if project and project.client_secret == secret else None

    def _token(self, body: bytes) -> None:
        fake = self.fake
        form = dict(urllib.parse.parse_qsl(body.decode()))
        with fake.lock:
            project = self._client(form)
            if project is None:
                self._send(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
                return
            grant = form.get("grant_type")
            if grant == "authorization_code":
                data = fake.codes.pop(form.get("code", ""), None)
                if data is None or data["client_id"] != project.client_id:
                    self._send(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
                    return
                if data["redirect_uri"] != form.get("redirect_uri"):
                    self._send(400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
                    return
                if data["challenge"]:
                    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    if base64.urlsafe_b64encode(digest).decode().rstrip("=") != data["challenge"]:
                        self._send(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
                        return
                access, refresh = fake.issue_tokens(project.client_id, data["channel_id"])
                response = {"access_token": access, "expires_in": 3599, "scope": data["scope"], "token_type": "Bearer"}
                if data["offline"] and fake.grant_offline:
                    response["refresh_token"] = refresh
                self._send(200, response)
            elif grant == "refresh_token":
                data = fake.refresh_tokens.get(form.get("refresh_token", ""))
                if data is None or data["revoked"] or data["client_id"] != project.client_id:
                    self._send(
                        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                    )
                    return
                access = "ya29." + secrets.token_urlsafe(24)
                fake.access_tokens[access] = {
                    "client_id": project.client_id,
                    "channel_id": data["channel_id"],
                    "expires_at": time.time() + 3599,
                }
                self._send(
                    200, {"access_token": access, "expires_in": 3599, "scope": " ".join([]), "token_type": "Bearer"}
                )
            else:
                self._send(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})

    # --- Data API -----------------------------------------------------------------------------
    def _caller(self) -> dict | None:
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with self.fake.lock:
            data = self.fake.access_tokens.get(token)
            if data is None or data["expires_at"] < time.time():
                return None
            return data

    def _charge(self, project: Project, key: tuple[str, str]) -> bool:
        bucket, cost = COSTS.get(key, ("units", 1))
        with self.fake.lock:
            if project.used[bucket] + cost > project.limits[bucket]:
                return False
            project.used[bucket] += cost
            return True

    def _api(self, path: str, query: dict, body: bytes) -> None:
        fake = self.fake
        if self.command == "PUT" and path == "/upload/youtube/v3/videos":
            self._upload_chunk(query, body)
            return
        caller = self._caller()
        if caller is None:
            self._error(*AUTH_ERROR)
            return
        project = fake.projects[caller["client_id"]]
        channel = fake.channels[caller["channel_id"]]
        if not self._charge(project, (self.command, path)):
            self._error(*QUOTA_EXCEEDED)
            return
        if path == "/youtube/v3/channels" and self.command == "GET":
            self._send(200, {"kind": "youtube#channelListResponse", "items": [self._channel(channel)]})
        elif path == "/youtube/v3/videos" and self.command == "GET":
            ids = [i for i in query.get("id", "").split(",") if i]
            with fake.lock:
                items = [self._video(fake.videos[i]) for i in ids if i in fake.videos]
            self._send(200, {"kind": "youtube#videoListResponse", "items": items})
        elif path == "/youtube/v3/playlistItems" and self.command == "GET":
            if query.get("playlistId") != "UU" + channel.channel_id[2:]:
                self._error(
                    404,
                    "playlistNotFound",
                    "The playlist identified with the request's playlistId parameter cannot be found.",
                    "youtube.playlistItem",
                )
                return
            with fake.lock:
                mine = sorted(fake.videos_of(channel.channel_id), key=lambda v: v["seq"], reverse=True)
            items = [
                {
                    "kind": "youtube#playlistItem",
                    "id": "PI" + v["id"],
                    "snippet": {
                        "title": v["snippet"].get("title", ""),
                        "description": v["snippet"].get("description", ""),
                        "resourceId": {"kind": "youtube#video", "videoId": v["id"]},
                    },
                }
                for v in mine[: int(query.get("maxResults", 5))]
            ]
            self._send(200, {"kind": "youtube#playlistItemListResponse", "items": items})
        elif path == "/upload/youtube/v3/videos" and self.command == "POST":
            self._upload_start(caller, channel, query, body)
        elif path == "/upload/youtube/v3/thumbnails/set" and self.command == "POST":
            video_id = query.get("videoId", "")
            with fake.lock:
                video = fake.videos.get(video_id)
                if video is None or video["channel_id"] != channel.channel_id:
                    self._error(
                        404,
                        "videoNotFound",
                        "The video that you are trying to update cannot be found.",
                        "youtube.thumbnail",
                    )
                    return
                fake.thumbnails[video_id] = len(body)
            self._send(
                200,
                {
                    "kind": "youtube#thumbnailSetResponse",
                    "items": [{"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"}}],
                },
            )
        else:
            self._error(400, "badRequest", "Unsupported request.", "global")

    @staticmethod
    def _channel(channel: Channel) -> dict:
        return {
            "kind": "youtube#channel",
            "id": channel.channel_id,
            "snippet": {"title": channel.email.split("@")[0], "customUrl": channel.handle},
            "contentDetails": {"relatedPlaylists": {"uploads": "UU" + channel.channel_id[2:]}},
        }

    @staticmethod
    def _video(video: dict) -> dict:
        return {"kind": "youtube#video", "id": video["id"], "snippet": video["snippet"], "status": video["status"]}

    def _upload_start(self, caller: dict, channel: Channel, query: dict, body: bytes) -> None:
        fake = self.fake
        if query.get("uploadType") != "resumable":
            self._error(400, "badRequest", "Only resumable uploads are supported by this fake.", "global")
            return
        with fake.lock:
            if channel.uploads_today >= channel.upload_cap:
                self._error(*UPLOAD_LIMIT)
                return
            upload_id = secrets.token_urlsafe(16)
            fake.sessions[upload_id] = {
                "client_id": caller["client_id"],
                "channel_id": channel.channel_id,
                "metadata": json.loads(body or b"{}"),
                "size": int(self.headers.get("X-Upload-Content-Length") or 0),
                "data": bytearray(),
                "video_id": None,
                "drops": 0,
            }
        location = f"{fake.base_url}upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        self._send(200, None, {"Location": location, "X-GUploader-UploadID": upload_id})

    def _upload_chunk(self, query: dict, body: bytes) -> None:
        fake = self.fake
        upload_id = query.get("upload_id", "")
        with fake.lock:
            session = fake.sessions.get(upload_id)
            if session is None:
                self._send(404, error_body(404, "notFound", "Upload session not found.", "global"))
                return
            if session["drops"] > 0:
                session["drops"] -= 1
                self._drop()
                return
            content_range = self.headers.get("Content-Range", "")
            spec, _, total = content_range.replace("bytes ", "").partition("/")
            if spec != "*" and session["video_id"] is None:
                start, _, _end = spec.partition("-")
                if int(start) == len(session["data"]):
                    session["data"].extend(body)
                if total != "*":
                    session["size"] = int(total)
            received = len(session["data"])
            if session["video_id"] is None and session["size"] and received >= session["size"]:
                channel = fake.channels[session["channel_id"]]
                channel.uploads_today += 1
                video_id = secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")[:11]
                fake.videos[video_id] = {
                    "id": video_id,
                    "seq": len(fake.videos),
                    "channel_id": channel.channel_id,
                    "snippet": {**session["metadata"].get("snippet", {}), "channelId": channel.channel_id},
                    "status": {"uploadStatus": "uploaded", **session["metadata"].get("status", {})},
                    "size": received,
                }
                session["video_id"] = video_id
                if fake.drop_final_chunk:
                    session["drops"] = fake.drop_final_chunk - 1
                    fake.drop_final_chunk = 0
                    self._drop()
                    return
            if session["video_id"] is not None:
                self._send(200, self._video(fake.videos[session["video_id"]]))
            else:
                headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
                self._send(308, None, headers)
