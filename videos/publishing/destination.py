"""Where a video is published: its channel's own YouTube account, and only that one.

The upload step books a slot on the channel's bound account (the account's daily cap and its
Google project's upload bucket). When the channel cannot take an upload now, the video waits — for
the channel to be connected or reconnected, for the account's rest to end, or for the Pacific-
midnight reset — and is never sent to another channel's account.
"""

from dataclasses import dataclass
from datetime import datetime

from youtube_pool.exceptions import (
    AccountFullError,
    AccountUnavailableError,
    QuotaExhaustedError,
    UploadLimitExceededError,
)
from youtube_pool.models import YouTubeAccount
from youtube_pool.services import account_book_upload, next_reset_at

from ..models import Video
from .waits import CHANNEL_FULL, NEEDS_RECONNECT, NOT_CONNECTED, PROJECT_QUOTA, recheck_at


@dataclass(frozen=True)
class NoRoom:
    """The channel cannot take an upload now: wait ``reason`` until ``until``."""

    reason: str
    until: datetime
    detail: str


def destination_book(video: Video) -> YouTubeAccount | NoRoom:
    """Book one upload on the video's channel's own account, or say why it must wait."""
    account_id = video.channel.youtube_account_id
    if account_id is None:
        return NoRoom(NOT_CONNECTED, recheck_at(), "the channel is not connected to YouTube")
    try:
        return account_book_upload(account_id=account_id)
    except AccountFullError as exc:
        return NoRoom(CHANNEL_FULL, exc.available_at, "the channel's YouTube upload capacity is used for now")
    except QuotaExhaustedError as exc:
        return NoRoom(PROJECT_QUOTA, exc.next_reset_at, "the Google project's upload quota is used until the reset")
    except AccountUnavailableError:
        return NoRoom(NEEDS_RECONNECT, recheck_at(), "the channel's YouTube connection needs to be renewed")


def no_room_for(exc: Exception, *, account: YouTubeAccount) -> NoRoom | None:
    """The wait an upload error calls for (the account or project ran out mid-upload), or None."""
    if isinstance(exc, UploadLimitExceededError):
        account.refresh_from_db(fields=["rested_until"])
        until = account.rested_until or next_reset_at()
        return NoRoom(CHANNEL_FULL, until, "YouTube says the channel reached its upload limit; it rests")
    if isinstance(exc, AccountFullError):
        return NoRoom(CHANNEL_FULL, exc.available_at, "YouTube says the channel reached its upload limit")
    if isinstance(exc, QuotaExhaustedError):
        return NoRoom(PROJECT_QUOTA, exc.next_reset_at, "the Google project's quota ran out during the upload")
    if isinstance(exc, AccountUnavailableError):
        return NoRoom(NEEDS_RECONNECT, recheck_at(), "the channel's YouTube connection needs to be renewed")
    return None
