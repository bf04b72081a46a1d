"""Uploading a video: resumable videos.insert, a separate thumbnail, never twice."""

import logging
import mimetypes
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from ..conf import setting
from ..exceptions import AccountUnavailableError, QuotaExhaustedError, YouTubePoolError, YouTubeTransientError
from ..models import YouTubeAccount
from .credentials import account_credentials, account_persist_if_refreshed, build_youtube
from .errors import RETRIABLE, TRANSPORT_ERRORS, classify_error
from .pool import (
    account_acquire_for_upload,
    account_record_result,
    account_record_upload,
    account_release_upload_slot,
)
from .quota import backoff_seconds, metered_call, to_application_error, youtube_execute

logger = logging.getLogger(__name__)

WATCH_URL = "https://www.youtube.com/watch?v={id}"
SANDBOX_WATCH_URL = "https://sandbox.youtube.invalid/watch?v={id}"
METADATA_KEY = "youtube_upload"


class _SessionLostError(Exception):
    """The resumable session cannot be continued; ``final_sent`` says the last byte may have arrived."""

    def __init__(self, final_sent: bool):
        self.final_sent = final_sent
        super().__init__("resumable upload session lost")


def upload_marker(video) -> str:
    """A unique tag put on the uploaded video, to find it again when an upload's outcome is unknown."""
    return f"ytempire-{video.pk.hex}"


def video_upload_body(video) -> dict:
    """Title, description, tags, category, privacy and made-for-kids from the video and its channel."""
    channel_settings = video.channel.settings or {}
    tags = [str(tag) for tag in (video.tags or []) if str(tag).strip()]
    return {
        "snippet": {
            "title": video.title[:100],
            "description": video.description[:5000],
            "tags": [*tags, upload_marker(video)],
            "categoryId": video.category_id
            or str(channel_settings.get("category_id") or setting("YOUTUBE_DEFAULT_CATEGORY_ID")),
        },
        "status": {
            "privacyStatus": channel_settings.get("privacy_status") or setting("YOUTUBE_DEFAULT_PRIVACY_STATUS"),
            "selfDeclaredMadeForKids": bool(channel_settings.get("made_for_kids", False)),
        },
    }


def _media_path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(settings.STORAGE_BASE_PATH) / path


def _set_upload_state(video_id, **changes) -> None:
    """Merge ``changes`` into video.metadata["youtube_upload"] under the video's row lock."""
    from videos.models import Video

    with transaction.atomic():
        metadata = Video.objects.select_for_update().values_list("metadata", flat=True).get(pk=video_id) or {}
        state = {**(metadata.get(METADATA_KEY) or {}), **changes}
        Video.objects.filter(pk=video_id).update(metadata={**metadata, METADATA_KEY: state})


def _store_result(video, account: YouTubeAccount, youtube_video_id: str, *, sandbox: bool = False) -> dict:
    from videos.models import Video

    url = (SANDBOX_WATCH_URL if sandbox else WATCH_URL).format(id=youtube_video_id)
    # The status change belongs to the pipeline (videos.services); only these fields are ours.
    Video.objects.filter(pk=video.pk).update(
        youtube_video_id=youtube_video_id, youtube_url=url, youtube_account_used=account, updated_at=timezone.now()
    )
    return {"youtube_video_id": youtube_video_id, "youtube_url": url, "account_id": str(account.pk)}


def video_find_uploaded(*, account: YouTubeAccount, marker: str) -> str | None:
    """Look for a video carrying ``marker`` among the channel's latest uploads (3 metered unit calls)."""
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
    videos = youtube_execute(
        account=account,
        method="videos.list",
        build_request=lambda yt: yt.videos().list(part="snippet", id=",".join(ids), maxResults=50),
        record_result=False,
    )
    for item in videos.get("items") or []:
        if marker in (item.get("snippet", {}).get("tags") or []):
            return item["id"]
    return None


def _drive_upload(request, size: int, chunksize: int) -> dict:
    """Send the chunks, resuming (status query, then the missing bytes) after retriable errors."""
    attempts = int(setting("YOUTUBE_RETRY_MAX_ATTEMPTS"))
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


def _resumable_insert(video, account: YouTubeAccount, path: Path, body: dict, marker: str) -> str:
    credentials = account_credentials(account)
    token_before = credentials.token
    youtube = build_youtube(credentials)
    chunksize = int(setting("YOUTUBE_UPLOAD_CHUNK_SIZE"))
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    size = path.stat().st_size
    prepaid = True  # the first videos.insert is paid by the slot booked at acquisition
    sessions = 0
    try:
        while True:
            media = MediaFileUpload(str(path), mimetype=mimetype, chunksize=chunksize, resumable=True)
            request = youtube.videos().insert(part="snippet,status", body=body, media_body=media)
            try:
                with metered_call(project=account.project, method="videos.insert", account=account, prepaid=prepaid):
                    prepaid = False
                    response = _drive_upload(request, size, chunksize)
                return response["id"]
            except _SessionLostError as lost:
                sessions += 1
                if lost.final_sent:
                    found = video_find_uploaded(account=account, marker=marker)
                    if found:
                        logger.info("Upload outcome was unknown: the video exists, not uploading again")
                        return found
                if sessions >= int(setting("YOUTUBE_RETRY_MAX_ATTEMPTS")):
                    raise YouTubeTransientError("The upload session kept failing; retry later") from lost.__cause__
                time.sleep(backoff_seconds(sessions))
    finally:
        account_persist_if_refreshed(account=account, credentials=credentials, token_before=token_before)


def video_upload(*, video, account: YouTubeAccount) -> dict:
    """Upload ``video`` to YouTube with ``account`` (booked by account_acquire_for_upload).

    videos.insert with MediaFileUpload(resumable=True) and next_chunk(); retriable errors (rate
    limits, 5xx, transport) back off with jitter and resume the session. When the outcome is
    unknown (the last chunk sent, no answer, session gone) the channel is searched for the
    upload's marker before uploading again, so nothing is uploaded twice; the same check runs
    first when an earlier attempt was interrupted. Stores youtube_video_id, youtube_url and
    youtube_account_used (not the status: the pipeline owns it). Then thumbnails.set when a
    thumbnail exists; a thumbnail failure never fails the upload and is retried on its own.

    Returns {"youtube_video_id", "youtube_url", "account_id", "thumbnail"}; errors are recorded on
    the account (account_record_result) and raised as the pool's ApplicationErrors."""
    from videos.models import Video

    video = Video.objects.select_related("channel").get(pk=video.pk)
    if video.youtube_video_id:
        return {
            "youtube_video_id": video.youtube_video_id,
            "youtube_url": video.youtube_url,
            "account_id": str(video.youtube_account_used_id) if video.youtube_account_used_id else None,
            "thumbnail": (video.metadata or {}).get(METADATA_KEY, {}).get("thumbnail", "none"),
        }
    account = YouTubeAccount.objects.select_related("project").get(pk=account.pk)
    if account.is_sandbox:
        result = _store_result(video, account, f"sandbox-{uuid.uuid4().hex[:11]}", sandbox=True)
        account_record_upload(account=account)
        _set_upload_state(video.pk, status="done", sandbox=True, account_id=str(account.pk))
        return {**result, "thumbnail": "none", "sandbox": True}
    path = _media_path(video.video_path) if video.video_path else None
    if path is None or not path.is_file():
        account_release_upload_slot(account=account)
        raise YouTubePoolError(f"Video file not found for upload: {video.video_path or '(none)'}")
    marker = upload_marker(video)
    previous = (video.metadata or {}).get(METADATA_KEY) or {}
    if previous.get("status") == "started" and previous.get("account_id"):
        earlier = YouTubeAccount.objects.select_related("project").filter(pk=previous["account_id"]).first()
        if earlier is not None and earlier.project_id and not earlier.is_sandbox:
            try:
                found = video_find_uploaded(account=earlier, marker=marker)
            except AccountUnavailableError:
                # The earlier channel can no longer be read (reauthorisation): upload again.
                logger.warning("Cannot check the earlier upload attempt", extra={"video_id": str(video.pk)})
                found = None
            except (QuotaExhaustedError, YouTubeTransientError) as exc:
                account_release_upload_slot(account=account)
                raise YouTubeTransientError(f"Cannot verify an earlier upload attempt yet: {exc.message}") from exc
            if found:
                account_release_upload_slot(account=account)
                result = _store_result(video, earlier, found)
                _set_upload_state(video.pk, status="done")
                return {**result, "thumbnail": _thumbnail_step(video, earlier, found)}
    _set_upload_state(
        video.pk, status="started", marker=marker, account_id=str(account.pk), at=timezone.now().isoformat()
    )
    try:
        youtube_video_id = _resumable_insert(video, account, path, video_upload_body(video), marker)
    except (YouTubePoolError, QuotaExhaustedError):
        _set_upload_state(video.pk, status="failed")  # a definite refusal: nothing was uploaded
        raise
    except YouTubeTransientError:
        raise  # the outcome may be unknown: the next attempt checks for the marker first
    except Exception as exc:
        error = to_application_error(exc, project=account.project, bucket="uploads")
        error.__cause__ = exc
        account_record_result(account=account, success=False, error=error)
        if not isinstance(error, YouTubeTransientError):
            _set_upload_state(video.pk, status="failed")
        raise error from exc
    result = _store_result(video, account, youtube_video_id)
    _set_upload_state(video.pk, status="done", youtube_video_id=youtube_video_id)
    account_record_upload(account=account)
    account_record_result(account=account, success=True)
    return {**result, "thumbnail": _thumbnail_step(video, account, youtube_video_id)}


def _thumbnail_step(video, account: YouTubeAccount, youtube_video_id: str) -> str:
    if not video.thumbnail_path:
        return "none"
    if video_thumbnail_set(video_id=video.pk):
        return "set"
    from ..tasks import youtube_thumbnail_set_task

    delay = int(setting("YOUTUBE_THUMBNAIL_RETRY_SECONDS"))
    transaction.on_commit(
        lambda: youtube_thumbnail_set_task.apply_async(args=[str(video.pk)], countdown=delay), robust=True
    )
    return "pending"


def video_thumbnail_set(*, video_id) -> bool:
    """thumbnails.set for an uploaded video (50 units, metered, retried on transient errors).
    Returns False (thumbnail pending) on failure; the upload itself stays successful."""
    from videos.models import Video

    video = Video.objects.select_related("youtube_account_used__project").get(pk=video_id)
    account = video.youtube_account_used
    if not (video.youtube_video_id and video.thumbnail_path and account):
        return False
    if account.is_sandbox:
        _set_upload_state(video.pk, thumbnail="set")
        return True
    path = _media_path(video.thumbnail_path)
    if not path.is_file():
        logger.warning("Thumbnail file missing", extra={"video_id": str(video.pk)})
        _set_upload_state(video.pk, thumbnail="missing")
        return False
    mimetype = mimetypes.guess_type(path.name)[0] or "image/jpeg"
    try:
        youtube_execute(
            account=account,
            method="thumbnails.set",
            build_request=lambda yt: yt.thumbnails().set(
                videoId=video.youtube_video_id, media_body=MediaFileUpload(str(path), mimetype=mimetype)
            ),
        )
    except (YouTubePoolError, QuotaExhaustedError, YouTubeTransientError) as exc:
        logger.warning("Thumbnail not set; will retry", extra={"video_id": str(video.pk), "error": exc.message})
        _set_upload_state(video.pk, thumbnail="pending")
        return False
    _set_upload_state(video.pk, thumbnail="set")
    return True


def video_upload_with_rotation(*, video, max_accounts: int = 5) -> dict:
    """Acquire an account and upload, rotating to another account when one fails for reasons of
    its own or its project's (quotaExceeded: another project; uploadLimitExceeded: the account
    rests; reauthorisation). PoolExhaustedError propagates: the pipeline waits for the reset."""
    excluded: set = set()
    last_error: Exception | None = None
    for _ in range(max_accounts):
        account = account_acquire_for_upload(exclude_project_ids=excluded)
        try:
            return video_upload(video=video, account=account)
        except QuotaExhaustedError as exc:
            excluded.add(account.project_id)
            last_error = exc
        except AccountUnavailableError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error
