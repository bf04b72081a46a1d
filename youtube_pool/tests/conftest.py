import datetime as dt
import urllib.parse
import uuid

import pytest
import requests
from django.db import connection
from django.utils import timezone

from youtube_pool import crypto
from youtube_pool.models import YouTubeAccount
from youtube_pool.services import UploadRequest
from youtube_pool.signals import account_state_changed

from .factories import GoogleProjectFactory
from .fake_youtube import FakeYouTube

CHUNK = 256 * 1024


@pytest.fixture
def fake_youtube(settings):
    """The local fake Google/YouTube server (HTTPS, its own CA), with the real clients pointed at it."""
    with FakeYouTube() as fake:
        settings.GOOGLE_CA_BUNDLE = fake.ca_file
        settings.YOUTUBE_API_ENDPOINT = fake.base_url
        settings.GOOGLE_OAUTH_AUTH_URI = fake.auth_uri
        settings.GOOGLE_OAUTH_TOKEN_URI = fake.token_uri
        settings.GOOGLE_OAUTH_REVOKE_URI = fake.revoke_uri
        settings.YOUTUBE_RETRY_BASE_SECONDS = 0.001
        settings.YOUTUBE_RETRY_MAX_SECONDS = 0.01
        settings.YOUTUBE_RETRY_MAX_ATTEMPTS = 3
        settings.YOUTUBE_UPLOAD_CHUNK_SIZE = CHUNK
        settings.YOUTUBE_HTTP_TIMEOUT_SECONDS = 5
        yield fake


def make_project(fake, name, **limits):
    """A GoogleProject in the database and the same OAuth client on the fake."""
    fields = {"upload_limit": 100, "search_limit": 100, "units_limit": 10_000}
    fields.update({k: v for k, v in limits.items() if k in fields})
    project = GoogleProjectFactory(name=name, client_id=f"{name}.apps.googleusercontent.com", **fields)
    fake.add_project(
        project.client_id,
        f"secret-{project.client_id}",
        uploads=fields["upload_limit"],
        searches=fields["search_limit"],
        units=fields["units_limit"],
    )
    return project


def connect_account(fake, project, email, *, reserve=False, upload_cap=100, cap=None, **fields):
    """A channel on the fake that consented to ``project``, and its YouTubeAccount with real tokens."""
    channel = fake.add_channel(email, upload_cap=upload_cap)
    access, refresh = fake.issue_tokens(project.client_id, channel.channel_id)
    expiry = timezone.now() + dt.timedelta(minutes=59)
    account = YouTubeAccount.objects.create(
        project=project,
        email=email,
        channel_id=channel.channel_id,
        channel_handle=channel.handle,
        is_reserve=reserve,
        daily_upload_cap=cap if cap is not None else (2 if reserve else 5),
        credentials_encrypted=crypto.encrypt_json(
            {"token": access, "refresh_token": refresh, "scopes": [], "expiry": expiry.isoformat()}
        ),
        token_expires_at=expiry,
        **fields,
    )
    account.fake_refresh_token = refresh
    return account


def consent(fake, authorization_url: str) -> dict:
    """The user's browser at Google: the consent screen redirects back with state and code (or error)."""
    response = requests.get(authorization_url, allow_redirects=False, verify=fake.ca_file, timeout=5)
    assert response.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["Location"]).query))
    return {key: value for key, value in query.items() if key in ("state", "code", "error")}


@pytest.fixture
def video_files(tmp_path):
    video = tmp_path / "video.mp4"
    video.write_bytes(bytes(range(256)) * (3 * CHUNK // 256) + b"tail-bytes")  # 4 chunks
    thumb = tmp_path / "thumb.jpg"
    thumb.write_bytes(b"\xff\xd8\xff\xe0" + b"j" * 2000)
    return video, thumb


def upload_request(account, files=None, **fields) -> UploadRequest:
    """An UploadRequest as the videos side builds one: a fresh reference, the booked account."""
    video_path, thumb_path = files or ("", "")
    defaults = {
        "reference": str(uuid.uuid4()),
        "account_id": account.pk,
        "video_path": str(video_path),
        "title": "A video",
        "description": "Description",
        "tags": ("tech",),
        "category_id": "28",
        "privacy_status": "unlisted",
        "thumbnail_path": str(thumb_path),
    }
    return UploadRequest(**{**defaults, **fields})


@pytest.fixture
def state_events():
    """``account_state_changed`` as a receiver in a higher app sees it (a test-local receiver):
    each event's kwargs, and whether it arrived inside a transaction."""
    events: list[dict] = []

    def receiver(sender, *, account_id, state, reason, **kwargs):
        events.append(
            {
                "sender": sender,
                "account_id": account_id,
                "state": state,
                "reason": reason,
                "in_transaction": connection.in_atomic_block,
            }
        )

    account_state_changed.connect(receiver, dispatch_uid="youtube-pool-test-state-events")
    try:
        yield events
    finally:
        account_state_changed.disconnect(dispatch_uid="youtube-pool-test-state-events")
