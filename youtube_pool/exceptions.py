"""Errors of the YouTube pool. All are ApplicationError subclasses, rendered in the Appendix C shape."""

from datetime import datetime

from django.utils import timezone

from ytempire.core.exceptions import ApplicationError, ServiceUnavailableError


def _retry_after(next_reset_at: datetime) -> int:
    return max(1, int((next_reset_at - timezone.now()).total_seconds()))


class YouTubePoolError(ApplicationError):
    status_code = 400
    default_message = "YouTube pool error"


class QuotaExhaustedError(ServiceUnavailableError):
    """A project's bucket (uploads, searches or units) cannot pay for the call until the reset."""

    default_message = "YouTube API quota exhausted for this project"

    def __init__(self, message: str | None = None, *, project_id, bucket: str, next_reset_at: datetime):
        self.project_id = project_id
        self.bucket = bucket
        self.next_reset_at = next_reset_at
        super().__init__(
            message or f"Project quota bucket '{bucket}' exhausted until {next_reset_at.isoformat()}",
            extra={"bucket": bucket, "next_reset_at": next_reset_at.isoformat()},
        )


class AccountUnavailableError(YouTubePoolError):
    """The account cannot take uploads until someone acts: it needs reconnecting, is deactivated,
    or has no Google project. (A full or resting account raises the subclass AccountFullError.)"""

    status_code = 409
    default_message = "YouTube account unavailable"


class AccountFullError(AccountUnavailableError):
    """The account cannot take another upload before ``available_at``: the end of its rest, or the
    next Pacific-midnight reset when today's cap is used (the later of the two when both apply)."""

    default_message = "The YouTube account cannot take another upload now"

    def __init__(self, message: str | None = None, *, available_at: datetime):
        self.available_at = available_at
        super().__init__(
            message or f"The YouTube account can take uploads again at {available_at.isoformat()}",
            extra={"available_at": available_at.isoformat(), "retry_after": _retry_after(available_at)},
        )


class UploadLimitExceededError(AccountUnavailableError):
    default_message = "The channel reached its daily upload limit; the account rests for 24 hours"


class ReauthorizationRequiredError(AccountUnavailableError):
    default_message = "YouTube account needs reauthorisation"


class ThumbnailMissingError(YouTubePoolError):
    """The thumbnail file is not there: retrying thumbnails.set cannot help."""

    default_message = "Thumbnail file not found"


class YouTubeApiError(YouTubePoolError):
    """Google refused a call for a reason retrying will not fix (bad request, forbidden, not found)."""

    status_code = 502
    default_message = "YouTube API error"


class YouTubeTransientError(ServiceUnavailableError):
    """Rate limits, 5xx or transport errors that persisted through our retries: retry later."""

    default_message = "YouTube API temporarily unavailable"


class OAuthError(YouTubePoolError):
    """The connection was refused (by Google, or by the ownership rules). When the state was valid,
    ``context`` and ``return_to`` are those recorded by oauth_start (so the caller can send the
    browser back with the reason); otherwise ``context`` is None and ``return_to`` is ""."""

    status_code = 400
    default_message = "Google OAuth failed"

    def __init__(self, message: str | None = None, *, context: dict | None = None, return_to: str = "", **kwargs):
        self.context = context
        self.return_to = return_to
        super().__init__(message, **kwargs)


class OAuthStateError(OAuthError):
    """Unknown, expired or already used state: nothing is known about the flow (context is None)."""

    default_message = "Invalid, expired or already used OAuth state"


class CredentialsEncryptionError(ApplicationError):
    """Encryption keys missing or wrong: secrets cannot be read or written."""

    status_code = 500
    default_message = "Credentials encryption is not configured"
