"""A local fake of Google's OAuth endpoints and the YouTube Data API v3, for tests.

A threaded ``http.server`` on 127.0.0.1 (random port) speaking the real wire format, so the real
google-api-python-client, google-auth and google-auth-oauthlib code runs against it:

- ``GET  /o/oauth2/auth``   consent screen: 302 back to redirect_uri with ``code`` and ``state``
  for the channel of ``login_hint``, else the one signed in in the browser (``sign_in``), or
  ``error=access_denied`` when there is none; keeps the PKCE challenge.
- ``POST /token``           authorization_code (PKCE S256 checked) and refresh_token grants;
  ``{"error": "invalid_grant", ...}`` for bad, used or revoked codes and tokens.
- ``POST /revoke``          ``token=`` a refresh or access token: the grant is revoked (200 ``{}``),
  or ``{"error": "invalid_token"}`` (400); each call is kept in ``revocations``.
- ``GET  /youtube/v3/channels?mine=true|id=`` and ``/youtube/v3/videos?id=`` (at most 50 ids), each
  with the parts asked for (``snippet``, ``contentDetails``, ``status``, ``statistics``: counts as
  strings, as YouTube sends them); ``/youtube/v3/playlistItems``
- ``GET  /v2/reports``      YouTube Analytics v2 ``reports.query`` for the caller's channel
  (``ids=channel==MINE`` or its own id): ``dimensions=day`` and the top-videos report
  (``dimensions=video``, ``sort=-estimatedRevenue|-views``, ``maxResults`` <= 200) with metrics
  ``estimatedRevenue`` and ``views``; Google's ``youtubeAnalytics#resultTable`` shape (``rows``
  left out when empty) and error bodies: 403 ``forbidden`` for revenue without the
  yt-analytics-monetary.readonly scope or another channel's ids, 400 ``required`` / ``badRequest``
  for missing parameters and unsupported queries. It spends no Data API units (its own quota).
- ``POST /upload/youtube/v3/videos?uploadType=resumable`` then ``PUT`` chunks with Content-Range
  (``308 Resume Incomplete`` + Range until complete; ``bytes */N`` status queries)
- ``POST /upload/youtube/v3/thumbnails/set``

Granted scopes follow each token (the consent's ``scope``, or ``issue_tokens(scopes=...)``).
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
import decimal
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

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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
# YouTube Analytics' refusals: revenue without the monetary scope (or another channel's data) is a
# bare 403 "Forbidden"; a query outside the documented reports is a 400.
ANALYTICS_FORBIDDEN = (403, "forbidden", "Forbidden", "global")
ANALYTICS_UNSUPPORTED = (
    400,
    "badRequest",
    "The query is not supported. Check the documentation at "
    "https://developers.google.com/youtube/analytics/v2/available_reports for a list of supported queries.",
    "global",
)
ANALYTICS_REQUIRED = (400, "required", "Required", "global")
INSUFFICIENT_SCOPES = (403, "insufficientPermissions", "Request had insufficient authentication scopes.", "global")
MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
ANALYTICS_READ_SCOPES = {
    MONETARY_SCOPE,
    "https://www.googleapis.com/auth/yt-analytics.readonly",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/youtube",
}
REVENUE_METRICS = {"estimatedRevenue", "estimatedAdRevenue", "grossRevenue", "cpm", "playbackBasedCpm"}
ANALYTICS_METRICS = {"estimatedRevenue": "CURRENCY", "views": "INTEGER"}
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
    view_count: int = 0
    subscriber_count: int = 0
    hidden_subscribers: bool = False
    # YouTube Analytics per Pacific day: {"YYYY-MM-DD": (estimatedRevenue Decimal, views int)}.
    analytics: dict = field(default_factory=dict)


@dataclass
class Failure:
    remaining: int
    status: int
    reason: str
    message: str
    domain: str
    match: str  # "any", "upload_chunk", "upload_start", "thumbnail", "api", "token", "revoke"


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
        # Every request: {"method", "path", "query", "channel_id"} (the channel whose token was sent).
        self.calls: list[dict] = []
        self.thumbnails: dict[str, int] = {}
        self.grant_offline = True
        self.signed_in = ""  # the Google account signed in in the user's browser (email)
        self.revocations: list[str] = []
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

    @property
    def revoke_uri(self) -> str:
        return f"{self.base_url}revoke"

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

    def issue_tokens(self, client_id: str, channel_id: str, *, expires_in: int = 3599, scopes=()) -> tuple[str, str]:
        """(access_token, refresh_token) as if the channel had consented to the client with ``scopes``."""
        with self.lock:
            access, refresh = "ya29." + secrets.token_urlsafe(24), "1//" + secrets.token_urlsafe(32)
            granted = " ".join(scopes)
            self.access_tokens[access] = {
                "client_id": client_id,
                "channel_id": channel_id,
                "expires_at": time.time() + expires_in,
                "scope": granted,
            }
            self.refresh_tokens[refresh] = {
                "client_id": client_id,
                "channel_id": channel_id,
                "revoked": False,
                "scope": granted,
            }
            return access, refresh

    def add_video(self, channel_id: str, *, video_id: str = "", views: int = 0, likes=0, comments=0, revenue=None):
        """A video already on the channel (as if uploaded earlier) with its statistics; ``likes`` or
        ``comments`` None: hidden/disabled (YouTube leaves the field out); ``revenue``: lifetime
        estimatedRevenue (USD) for the Analytics top-videos report."""
        with self.lock:
            video_id = video_id or secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")[:11]
            self.videos[video_id] = {
                "id": video_id,
                "seq": len(self.videos),
                "channel_id": channel_id,
                "snippet": {"title": f"Video {video_id}", "channelId": channel_id},
                "status": {"uploadStatus": "processed", "privacyStatus": "public"},
                "size": 0,
            }
            self.set_video_stats(video_id, views=views, likes=likes, comments=comments, revenue=revenue)
            return video_id

    def set_video_stats(self, video_id: str, *, views: int = 0, likes=0, comments=0, revenue=None) -> None:
        with self.lock:
            video = self.videos[video_id]
            video["views"], video["likes"], video["comments"] = views, likes, comments
            video["revenue"] = decimal.Decimal(str(revenue)) if revenue is not None else decimal.Decimal(0)

    def set_revenue(self, channel_id: str, day, revenue, views: int = 0) -> None:
        """YouTube Analytics' figures for one of the channel's (Pacific) days."""
        with self.lock:
            self.channels[channel_id].analytics[str(day)] = (decimal.Decimal(str(revenue)), views)

    def sign_in(self, email: str) -> None:
        """The browser's Google session: consent without a login_hint picks this account."""
        with self.lock:
            self.signed_in = email.lower()

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
        if path == "/revoke":
            return "revoke"
        if path.startswith("/upload/youtube/v3/videos"):
            return "upload_chunk" if self.command == "PUT" else "upload_start"
        if path.startswith("/upload/youtube/v3/thumbnails"):
            return "thumbnail"
        if path.startswith("/v2/"):
            return "analytics"
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
            token = self.headers.get("Authorization", "")[7:]
            caller = self.fake.access_tokens.get(token) or {}
            self.fake.calls.append(
                {"method": self.command, "path": path, "query": query, "channel_id": caller.get("channel_id")}
            )
        if path != "/o/oauth2/auth":
            failure = self._injected_failure(path)
            if failure is not None:
                self._error(failure.status, failure.reason, failure.message, failure.domain)
                return
        if path == "/o/oauth2/auth" and self.command == "GET":
            self._authorize(query)
        elif path == "/token" and self.command == "POST":
            self._token(body)
        elif path == "/revoke" and self.command == "POST":
            self._revoke(body)
        elif path.startswith(("/youtube/v3/", "/upload/youtube/v3/")):
            self._api(path, query, body)
        elif path == "/v2/reports" and self.command == "GET":
            self._analytics(query)
        else:
            self._send(404, {"error": {"code": 404, "message": "Not Found"}})

    do_GET = do_POST = do_PUT = lambda self: self._dispatch()  # noqa: E731

    # --- OAuth --------------------------------------------------------------------------------
    def _authorize(self, query: dict) -> None:
        fake = self.fake
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        with fake.lock:
            wanted = query.get("login_hint", "").lower() or fake.signed_in
            channel = next((c for c in fake.channels.values() if c.email == wanted), None)
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

    def _revoke(self, body: bytes) -> None:
        fake = self.fake
        token = dict(urllib.parse.parse_qsl(body.decode())).get("token", "")
        with fake.lock:
            fake.revocations.append(token)
            if token in fake.refresh_tokens and not fake.refresh_tokens[token]["revoked"]:
                fake.revoke(token)
            elif token in fake.access_tokens and fake.access_tokens[token]["expires_at"] > time.time():
                fake.access_tokens[token]["expires_at"] = 0
            else:
                self._send(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
                return
        self._send(200, {})

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
                access, refresh = fake.issue_tokens(project.client_id, data["channel_id"], scopes=data["scope"].split())
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
                    "scope": data.get("scope", ""),
                }
                self._send(
                    200,
                    {
                        "access_token": access,
                        "expires_in": 3599,
                        "scope": data.get("scope", ""),
                        "token_type": "Bearer",
                    },
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
        parts = set(query.get("part", "snippet,contentDetails,status").split(","))
        if path == "/youtube/v3/channels" and self.command == "GET":
            if query.get("mine") == "true":
                listed = [channel]
            elif query.get("id"):
                with fake.lock:
                    listed = [fake.channels[i] for i in query["id"].split(",") if i in fake.channels]
            else:
                self._error(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected one of: id, mine.",
                    "youtube.parameter",
                )
                return
            items = [self._channel(c, parts) for c in listed]
            self._send(200, {"kind": "youtube#channelListResponse", "items": items})
        elif path == "/youtube/v3/videos" and self.command == "GET":
            ids = [i for i in query.get("id", "").split(",") if i]
            if len(ids) > 50:
                self._error(
                    400,
                    "badRequest",
                    "The request specifies more than 50 video IDs; list at most 50 per call.",
                    "youtube.parameter",
                )
                return
            with fake.lock:
                items = [self._video(fake.videos[i], parts) for i in ids if i in fake.videos]
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

    def _channel(self, channel: Channel, parts=frozenset({"snippet", "contentDetails"})) -> dict:
        item = {"kind": "youtube#channel", "id": channel.channel_id}
        if "snippet" in parts:
            item["snippet"] = {"title": channel.email.split("@")[0], "customUrl": channel.handle}
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"uploads": "UU" + channel.channel_id[2:]}}
        if "statistics" in parts:
            statistics = {
                "viewCount": str(channel.view_count),
                "hiddenSubscriberCount": channel.hidden_subscribers,
                "videoCount": str(len(self.fake.videos_of(channel.channel_id))),
            }
            if not channel.hidden_subscribers:
                statistics["subscriberCount"] = str(channel.subscriber_count)
            item["statistics"] = statistics
        return item

    @staticmethod
    def _video(video: dict, parts=frozenset({"snippet", "status"})) -> dict:
        item = {"kind": "youtube#video", "id": video["id"]}
        if "snippet" in parts:
            item["snippet"] = video["snippet"]
        if "status" in parts:
            item["status"] = video["status"]
        if "statistics" in parts:
            # Counts are strings on the wire; a hidden like count or disabled comments leave the field out.
            statistics = {"viewCount": str(video.get("views", 0)), "favoriteCount": "0"}
            if video.get("likes", 0) is not None:
                statistics["likeCount"] = str(video.get("likes", 0))
            if video.get("comments", 0) is not None:
                statistics["commentCount"] = str(video.get("comments", 0))
            item["statistics"] = statistics
        return item

    # --- YouTube Analytics v2 -------------------------------------------------------------------
    def _analytics(self, query: dict) -> None:
        fake = self.fake
        caller = self._caller()
        if caller is None:
            self._error(*AUTH_ERROR)
            return
        if any(not query.get(name) for name in ("ids", "startDate", "endDate", "metrics")):
            self._error(*ANALYTICS_REQUIRED)
            return
        granted = set(caller.get("scope", "").split())
        metrics = query["metrics"].split(",")
        if not granted & ANALYTICS_READ_SCOPES:
            self._error(*INSUFFICIENT_SCOPES)
            return
        if query["ids"] not in ("channel==MINE", f"channel=={caller['channel_id']}"):
            self._error(*ANALYTICS_FORBIDDEN)
            return
        if REVENUE_METRICS.intersection(metrics) and MONETARY_SCOPE not in granted:
            self._error(*ANALYTICS_FORBIDDEN)
            return
        try:
            start, end = dt.date.fromisoformat(query["startDate"]), dt.date.fromisoformat(query["endDate"])
        except ValueError:
            self._error(400, "badRequest", "Invalid date: use YYYY-MM-DD.", "global")
            return
        dimensions = query.get("dimensions", "")
        if start > end or any(m not in ANALYTICS_METRICS for m in metrics) or dimensions not in ("day", "video"):
            self._error(*ANALYTICS_UNSUPPORTED)
            return
        headers = [{"name": dimensions, "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": ANALYTICS_METRICS[m]} for m in metrics
        ]
        with fake.lock:
            channel = fake.channels[caller["channel_id"]]
            if dimensions == "day":
                rows = [
                    [day, *[self._metric(m, revenue, views) for m in metrics]]
                    for day, (revenue, views) in sorted(channel.analytics.items())
                    if start <= dt.date.fromisoformat(day) <= end
                ]
            else:
                sort, max_results = query.get("sort", ""), int(query.get("maxResults") or 0)
                if sort.lstrip("-") not in metrics or not sort.startswith("-") or not 0 < max_results <= 200:
                    self._error(*ANALYTICS_UNSUPPORTED)
                    return
                mine = fake.videos_of(channel.channel_id)
                key = "revenue" if sort == "-estimatedRevenue" else "views"
                mine.sort(key=lambda v: (v.get(key) or 0, v["seq"]), reverse=True)
                rows = [
                    [v["id"], *[self._metric(m, v.get("revenue") or 0, v.get("views", 0)) for m in metrics]]
                    for v in mine[:max_results]
                ]
        body = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
        if rows:  # Google leaves ``rows`` out when there is no data
            body["rows"] = rows
        self._send(200, body)

    @staticmethod
    def _metric(name: str, revenue, views: int):
        # A JSON number, as Google sends it (the shortest text that reads back as the amount).
        return float(revenue) if name == "estimatedRevenue" else int(views)

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
