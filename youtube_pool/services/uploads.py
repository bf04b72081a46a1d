"""Uploading a video: an UploadRequest in, an UploadResult out; resumable, never twice.

The pool knows nothing of the caller's models: it uploads the file the request names with the
account the caller booked, and returns what happened. The caller keeps its own records (the
YouTube id, the url, the account used, "an attempt started on account X")."""

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from .. import tasks  # the module, not its names: tasks.py imports these services
from ..conf import media_path
from ..exceptions import (
    AccountUnavailableError,
    QuotaExhaustedError,
    ThumbnailMissingError,
    YouTubePoolError,
    YouTubeTransientError,
)
from ..models import YouTubeAccount
from .booking import account_release_upload_slot
from .pool import account_record_result, account_record_upload
from .quota import to_application_error
from .resumable import resumable_insert, youtube_find_upload
from .thumbnails import thumbnail_set_for

logger = logging.getLogger(__name__)

WATCH_URL = "https://www.youtube.com/watch?v={id}"
SANDBOX_WATCH_URL = "https://sandbox.youtube.invalid/watch?v={id}"


@dataclass(frozen=True)
class UploadRequest:
    """What to upload, and with which booked account."""

    reference: str  # the caller's id (the video id); used for logs and the upload marker
    account_id: uuid.UUID  # the account whose upload slot the caller booked
    video_path: str  # absolute, or relative to settings.STORAGE_BASE_PATH
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    category_id: str = ""  # "" -> settings.YOUTUBE_DEFAULT_CATEGORY_ID
    privacy_status: str = ""  # "" -> settings.YOUTUBE_DEFAULT_PRIVACY_STATUS
    made_for_kids: bool = False
    thumbnail_path: str = ""
    # An earlier attempt on this account may have landed: look for the marker there first.
    resume_account_id: uuid.UUID | None = None


@dataclass(frozen=True)
class UploadResult:
    youtube_video_id: str
    youtube_url: str
    account_id: uuid.UUID  # the account the video is on (the earlier one when found_existing)
    thumbnail: str  # "set" | "pending" (a retry task is queued) | "none" (no thumbnail asked) | "missing"
    sandbox: bool = False
    found_existing: bool = False  # the marker search found an earlier upload; nothing was uploaded again


def upload_marker(reference: str) -> str:
    """The unique tag put on an upload, to find it again when its outcome is unknown:
    ``ytempire-<hex>``, the hex of the reference when it is a UUID (a video id), else of its hash."""
    try:
        digest = uuid.UUID(str(reference)).hex
    except ValueError:
        digest = hashlib.sha256(str(reference).encode()).hexdigest()[:32]
    return f"ytempire-{digest}"


def upload_body(request: UploadRequest) -> dict:
    """The videos.insert body: snippet (title, description, tags + marker, category) and status."""
    tags = [str(tag) for tag in request.tags if str(tag).strip()]
    return {
        "snippet": {
            "title": request.title[:100],
            "description": request.description[:5000],
            "tags": [*tags, upload_marker(request.reference)],
            "categoryId": str(request.category_id or settings.YOUTUBE_DEFAULT_CATEGORY_ID),
        },
        "status": {
            "privacyStatus": request.privacy_status or settings.YOUTUBE_DEFAULT_PRIVACY_STATUS,
            "selfDeclaredMadeForKids": bool(request.made_for_kids),
        },
    }


def _watch_url(youtube_video_id: str, *, sandbox: bool = False) -> str:
    return (SANDBOX_WATCH_URL if sandbox else WATCH_URL).format(id=youtube_video_id)


def _find_earlier_upload(request: UploadRequest, account: YouTubeAccount, marker: str):
    """(earlier account, youtube id) when an earlier attempt on request.resume_account_id landed."""
    earlier = YouTubeAccount.objects.select_related("project").filter(pk=request.resume_account_id).first()
    if earlier is None or earlier.project_id is None or earlier.is_sandbox:
        return None, None
    try:
        found = youtube_find_upload(account=earlier, marker=marker)
    except AccountUnavailableError:
        # The earlier channel can no longer be read (reauthorisation): upload again.
        logger.warning("Cannot check the earlier upload attempt", extra={"reference": request.reference})
        return None, None
    except (QuotaExhaustedError, YouTubeTransientError) as exc:
        account_release_upload_slot(account=account)
        raise YouTubeTransientError(f"Cannot verify an earlier upload attempt yet: {exc.message}") from exc
    if not found:
        # The earlier attempt never landed: YouTube did not count it, so neither do we (its booked
        # slot is given back; the new attempt has its own).
        account_release_upload_slot(account=earlier)
        return None, None
    return earlier, found


def youtube_upload(request: UploadRequest) -> UploadResult:
    """Upload ``request.video_path`` with the account booked by account_book_upload.

    videos.insert with MediaFileUpload(resumable=True) and next_chunk(); retriable errors (rate
    limits, 5xx, transport) back off with jitter and resume the session. When the outcome is unknown
    (the last chunk sent, no answer, session gone) the channel is searched for the upload's marker
    before uploading again; with ``resume_account_id`` that search runs first, on that account, and
    a hit releases the booked slot and returns ``found_existing``, a miss gives back the earlier
    attempt's slot (it never landed, so YouTube did not count it). Then thumbnails.set when a
    thumbnail is asked for; a thumbnail failure never fails the upload and is retried by a task.

    A sandbox account uploads nothing and returns a sandbox id and url. A missing file releases the
    slot and raises YouTubePoolError. Google's errors are recorded on the account (health, rest,
    reauthorisation, the project's spent bucket) and raised as the pool's ApplicationErrors:
    YouTubeTransientError means the outcome may be unknown (pass resume_account_id next time);
    any other error is a definite refusal (nothing was uploaded)."""
    account = YouTubeAccount.objects.select_related("project").filter(pk=request.account_id).first()
    if account is None:
        raise AccountUnavailableError(f"Unknown YouTube account {request.account_id}")
    if account.is_sandbox:
        youtube_video_id = f"sandbox-{uuid.uuid4().hex[:11]}"
        account_record_upload(account=account)
        return UploadResult(
            youtube_video_id=youtube_video_id,
            youtube_url=_watch_url(youtube_video_id, sandbox=True),
            account_id=account.pk,
            thumbnail="none",
            sandbox=True,
        )
    path = media_path(request.video_path) if request.video_path else None
    if path is None or not path.is_file():
        account_release_upload_slot(account=account)
        raise YouTubePoolError(f"Video file not found for upload: {request.video_path or '(none)'}")
    marker = upload_marker(request.reference)
    if request.resume_account_id:
        earlier, found = _find_earlier_upload(request, account, marker)
        if found:
            account_release_upload_slot(account=account)
            logger.info("An earlier upload attempt landed", extra={"reference": request.reference})
            return UploadResult(
                youtube_video_id=found,
                youtube_url=_watch_url(found),
                account_id=earlier.pk,
                thumbnail=_thumbnail_step(earlier, found, request.thumbnail_path),
                found_existing=True,
            )
    try:
        youtube_video_id, found_existing = resumable_insert(account, path, upload_body(request), marker)
    except (YouTubePoolError, QuotaExhaustedError, YouTubeTransientError):
        raise  # our own refusals (quota, credentials) and an unknown outcome: already accounted for
    except Exception as exc:
        error = to_application_error(exc, project=account.project, bucket="uploads")
        error.__cause__ = exc
        account_record_result(account=account, success=False, error=error)
        raise error from exc
    account_record_upload(account=account)
    account_record_result(account=account, success=True)
    return UploadResult(
        youtube_video_id=youtube_video_id,
        youtube_url=_watch_url(youtube_video_id),
        account_id=account.pk,
        thumbnail=_thumbnail_step(account, youtube_video_id, request.thumbnail_path),
        found_existing=found_existing,
    )


def _thumbnail_step(account: YouTubeAccount, youtube_video_id: str, thumbnail_path: str) -> str:
    if not thumbnail_path:
        return "none"
    try:
        if thumbnail_set_for(account=account, youtube_video_id=youtube_video_id, thumbnail_path=thumbnail_path):
            return "set"
    except ThumbnailMissingError:
        logger.warning("Thumbnail file missing", extra={"youtube_video_id": youtube_video_id})
        return "missing"
    delay = int(settings.YOUTUBE_THUMBNAIL_RETRY_SECONDS)
    kwargs = {"account_id": str(account.pk), "youtube_video_id": youtube_video_id, "thumbnail_path": thumbnail_path}
    transaction.on_commit(
        lambda: tasks.youtube_thumbnail_set_task.apply_async(kwargs=kwargs, countdown=delay), robust=True
    )
    return "pending"
