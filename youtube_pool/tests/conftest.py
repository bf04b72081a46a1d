import datetime as dt

import pytest
from django.utils import timezone

from youtube_pool import crypto
from youtube_pool.models import YouTubeAccount

from .factories import GoogleProjectFactory, make_channel, make_video
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


@pytest.fixture
def video_files(tmp_path):
    video = tmp_path / "video.mp4"
    video.write_bytes(bytes(range(256)) * (3 * CHUNK // 256) + b"tail-bytes")  # 4 chunks
    thumb = tmp_path / "thumb.jpg"
    thumb.write_bytes(b"\xff\xd8\xff\xe0" + b"j" * 2000)
    return video, thumb


@pytest.fixture
def ready_video(user, video_files):
    video_path, thumb_path = video_files
    channel = make_channel(user, settings={"privacy_status": "unlisted", "made_for_kids": False})
    return make_video(channel, video_path=str(video_path), thumbnail_path=str(thumb_path), category_id="28")
