"""thumbnails.set for an uploaded video: metered, retried on transient errors, never failing the upload."""

import logging
import mimetypes

from googleapiclient.http import MediaFileUpload

from ..conf import media_path
from ..exceptions import (
    AccountUnavailableError,
    QuotaExhaustedError,
    ThumbnailMissingError,
    YouTubePoolError,
    YouTubeTransientError,
)
from ..models import YouTubeAccount
from .api import youtube_execute

logger = logging.getLogger(__name__)


def thumbnail_set_for(*, account: YouTubeAccount, youtube_video_id: str, thumbnail_path: str) -> bool:
    """youtube_thumbnail_set with the account already loaded (its project selected)."""
    if account.is_sandbox:
        return True
    path = media_path(thumbnail_path) if thumbnail_path else None
    if path is None or not path.is_file():
        raise ThumbnailMissingError(f"Thumbnail file not found: {thumbnail_path or '(none)'}")
    mimetype = mimetypes.guess_type(path.name)[0] or "image/jpeg"
    try:
        youtube_execute(
            account=account,
            method="thumbnails.set",
            build_request=lambda yt: yt.thumbnails().set(
                videoId=youtube_video_id, media_body=MediaFileUpload(str(path), mimetype=mimetype)
            ),
        )
    except (YouTubePoolError, QuotaExhaustedError, YouTubeTransientError) as exc:
        logger.warning(
            "Thumbnail not set; will retry", extra={"youtube_video_id": youtube_video_id, "error": exc.message}
        )
        return False
    return True


def youtube_thumbnail_set(*, account_id, youtube_video_id: str, thumbnail_path: str) -> bool:
    """Set the thumbnail of ``youtube_video_id`` with the account that uploaded it (thumbnails.set,
    50 units on its project, retried with backoff on transient errors; a sandbox account needs no call).

    True when set. False when YouTube refused or could not take it now (quota, rate limits, 5xx,
    reauthorisation): retry later; the upload itself stays successful. Raises YouTubePoolError when
    retrying cannot help: ThumbnailMissingError (no file), AccountUnavailableError (no such account)."""
    account = YouTubeAccount.objects.select_related("project").filter(pk=account_id).first()
    if account is None:
        raise AccountUnavailableError(f"Unknown YouTube account {account_id}")
    return thumbnail_set_for(account=account, youtube_video_id=youtube_video_id, thumbnail_path=thumbnail_path)
