import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.tests.factories import ChannelFactory
from costs.models import Reservation, VideoCost
from videos.models import Video, VideoStatus
from youtube_pool import crypto
from youtube_pool.conf import MONETARY_SCOPE
from youtube_pool.models import YouTubeAccount
from youtube_pool.tests.conftest import fake_youtube, make_project  # noqa: F401  (the fake Google/YouTube server)

YOUTUBE_SCOPES = ["https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube"]
WITH_REVENUE = [*YOUTUBE_SCOPES, MONETARY_SCOPE]
# A fixed instant: 15:30 UTC on Wednesday 2026-03-18 (08:30 in Los Angeles, daylight saving time).
NOW = dt.datetime(2026, 3, 18, 15, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def make_video(channel, *, status=VideoStatus.PUBLISHED, created=None, published=None, **fields) -> Video:
    """A video as the pipeline leaves it, with the timestamps a test needs (created_at is auto_now_add)."""
    video = Video.objects.create(channel=channel, title=fields.pop("title", "A video"), status=status, **fields)
    stamps = {"created_at": created or NOW - dt.timedelta(hours=1)}
    if status == VideoStatus.PUBLISHED:
        stamps["published_at"] = published or stamps["created_at"]
    Video.objects.filter(pk=video.pk).update(**stamps)
    video.refresh_from_db()
    return video


def charge(video, amount: str, *, day: dt.date = TODAY, service: str = "openai") -> VideoCost:
    return VideoCost.objects.create(
        video=video, service=service, amount=Decimal(amount), budget_date=day, timestamp=at(day)
    )


def hold(video, amount: str, *, day: dt.date = TODAY, expires=None, status="open") -> Reservation:
    return Reservation.objects.create(
        video=video,
        service="render",
        amount=Decimal(amount),
        budget_date=day,
        status=status,
        expires_at=expires or NOW + dt.timedelta(minutes=20),
    )


def connect(fake, project, email: str, *, user=None, scopes=YOUTUBE_SCOPES, views=0, subscribers=0, **channel):
    """A YouTube channel on the fake that consented to ``project`` with ``scopes``, its account
    (real tokens, those scopes stored) and the platform channel bound to it."""
    yt = fake.add_channel(email)
    yt.view_count, yt.subscriber_count = views, subscribers
    access, refresh = fake.issue_tokens(project.client_id, yt.channel_id, scopes=scopes)
    expiry = timezone.now() + dt.timedelta(minutes=59)
    account = YouTubeAccount.objects.create(
        project=project,
        owner=user,
        email=email,
        channel_id=yt.channel_id,
        channel_handle=yt.handle,
        credentials_encrypted=crypto.encrypt_json(
            {"token": access, "refresh_token": refresh, "scopes": list(scopes), "expiry": expiry.isoformat()}
        ),
        token_expires_at=expiry,
    )
    account.fake_refresh_token = refresh
    bound = ChannelFactory(
        youtube_account=account,
        youtube_channel_id=yt.channel_id,
        youtube_channel_handle=yt.handle,
        **({"user": user} if user is not None else {}),
        **channel,
    )
    return bound, account, yt


@pytest.fixture
def youtube(fake_youtube, settings):  # noqa: F811
    """The fake Google/YouTube server, YouTube Analytics included (same host, /v2/reports)."""
    settings.YOUTUBE_ANALYTICS_ENDPOINT = fake_youtube.base_url
    return fake_youtube
