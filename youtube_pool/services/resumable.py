"""The resumable videos.insert session, and the marker search that settles an unknown outcome."""

import logging
import mimetypes
import time
from pathlib import Path

from django.conf import settings
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from ..exceptions import YouTubeTransientError
from ..models import YouTubeAccount
from .api import youtube_execute
from .credentials import account_credentials, account_persist_if_refreshed, build_youtube
from .errors import RETRIABLE, TRANSPORT_ERRORS, classify_error
from .quota import backoff_seconds, metered_call

logger = logging.getLogger(__name__)


class _SessionLostError(Exception):
    """The resumable session cannot be continued; ``final_sent`` says the last byte may have arrived."""

    def __init__(self, final_sent: bool):
        self.final_sent = final_sent
        super().__init__("resumable upload session lost")


def youtube_find_upload(*, account: YouTubeAccount, marker: str) -> str | None:
    """Look for a video carrying ``marker`` among the channel's latest 50 uploads (3 metered unit calls)."""
    channels = youtube_execute(
        account=account,
        method="channels.list",
        build_request=lambda yt: yt.channels().list(part="contentDetails", mine=True),
        record_result=False,
    )
    items = channels.get("items") or []
    if not items:
        return None
    playlist = items[0]["contentDetails"]["relatedPlaylists"]["uploads"]
    listed = youtube_execute(
        account=account,
        method="playlistItems.list",
        build_request=lambda yt: yt.playlistItems().list(part="snippet", playlistId=playlist, maxResults=50),
        record_result=False,
    )
    ids = [item["snippet"]["resourceId"]["videoId"] for item in listed.get("items") or []]
    if not ids:
        return None
    found = youtube_execute(
        account=account,
        method="videos.list",
        build_request=lambda yt: yt.videos().list(part="snippet", id=",".join(ids), maxResults=50),
        record_result=False,
    )
    for item in found.get("items") or []:
        if marker in (item.get("snippet", {}).get("tags") or []):
            return item["id"]
    return None


def _drive_upload(request, size: int, chunksize: int) -> dict:
    """Send the chunks, resuming (status query, then the missing bytes) after retriable errors."""
    attempts = int(settings.YOUTUBE_RETRY_MAX_ATTEMPTS)
    failures = 0
    final_sent = False
    while True:
        sending_final = request.resumable_uri is not None and request.resumable_progress + chunksize >= size
        try:
            _, response = request.next_chunk()
        except HttpError as exc:
            status = int(getattr(exc.resp, "status", 0) or 0)
            if request.resumable_uri and status in (404, 410):
                raise _SessionLostError(final_sent) from exc
            if classify_error(exc) in RETRIABLE and failures + 1 < attempts:
                failures += 1
                time.sleep(backoff_seconds(failures))
                continue
            raise
        except (*TRANSPORT_ERRORS, auth_exceptions.TransportError) as exc:
            # The request may or may not have arrived: the outcome is unknown.
            final_sent = final_sent or sending_final
            if failures + 1 < attempts:
                failures += 1
                time.sleep(backoff_seconds(failures))
                continue
            if request.resumable_uri:
                raise _SessionLostError(final_sent) from exc
            raise
        if response is not None:
            return response


def resumable_insert(account: YouTubeAccount, path: Path, body: dict, marker: str) -> tuple[str, bool]:
    """(youtube video id, found by the marker search) after a resumable videos.insert; a lost
    session whose last chunk may have arrived is looked up by marker before a new session starts."""
    credentials = account_credentials(account)
    token_before = credentials.token
    youtube = build_youtube(credentials)
    chunksize = int(settings.YOUTUBE_UPLOAD_CHUNK_SIZE)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    size = path.stat().st_size
    prepaid = True  # the first videos.insert is paid by the slot account_book_upload booked
    sessions = 0
    try:
        while True:
            media = MediaFileUpload(str(path), mimetype=mimetype, chunksize=chunksize, resumable=True)
            request = youtube.videos().insert(part="snippet,status", body=body, media_body=media)
            try:
                with metered_call(project=account.project, method="videos.insert", account=account, prepaid=prepaid):
                    prepaid = False
                    response = _drive_upload(request, size, chunksize)
                return response["id"], False
            except _SessionLostError as lost:
                sessions += 1
                if lost.final_sent:
                    found = youtube_find_upload(account=account, marker=marker)
                    if found:
                        logger.info("Upload outcome was unknown: the video exists, not uploading again")
                        return found, True
                if sessions >= int(settings.YOUTUBE_RETRY_MAX_ATTEMPTS):
                    raise YouTubeTransientError("The upload session kept failing; retry later") from lost.__cause__
                time.sleep(backoff_seconds(sessions))
    finally:
        account_persist_if_refreshed(account=account, credentials=credentials, token_before=token_before)
