"""Errors of the YouTube pool. All are ApplicationError subclasses, rendered in the Appendix C shape."""

from datetime import datetime

from ytempire.core.exceptions import ApplicationError, ServiceUnavailableError


def _retry_after(next_reset_at: datetime) -> int:
    from django.utils import timezone

    return max(1, int((next_reset_at - timezone.now()).total_seconds()))


class YouTubePoolError(ApplicationError):
    status_code = 400
    default_message = "YouTube pool error"


class PoolExhaustedError(ServiceUnavailableError):
    """No account can take an upload until the next Pacific-midnight reset: wait, do not fail the video."""

    default_message = "Every YouTube account or project is exhausted"

    def __init__(self, message: str | None = None, *, next_reset_at: datetime):
        self.next_reset_at = next_reset_at
        super().__init__(
            message or f"YouTube upload capacity exhausted until {next_reset_at.isoformat()}",
            extra={"next_reset_at": next_reset_at.isoformat(), "retry_after": _retry_after(next_reset_at)},
        )


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
    """The account cannot be used now (resting after uploadLimitExceeded, deactivated, no project)."""

    status_code = 409
    default_message = "YouTube account unavailable"


class UploadLimitExceededError(AccountUnavailableError):
    default_message = "The channel reached its daily upload limit; the account rests for 24 hours"


class ReauthorizationRequiredError(AccountUnavailableError):
    default_message = "YouTube account needs reauthorisation"


class YouTubeApiError(YouTubePoolError):
    """Google refused a call for a reason retrying will not fix (bad request, forbidden, not found)."""

    status_code = 502
    default_message = "YouTube API error"


class YouTubeTransientError(ServiceUnavailableError):
    """Rate limits, 5xx or transport errors that persisted through our retries: retry later."""

    default_message = "YouTube API temporarily unavailable"


class OAuthStateError(YouTubePoolError):
    status_code = 400
    default_message = "Invalid, expired or already used OAuth state"


class OAuthError(YouTubePoolError):
    status_code = 400
    default_message = "Google OAuth failed"


class CredentialsEncryptionError(ApplicationError):
    """Encryption keys missing or wrong: secrets cannot be read or written."""

    status_code = 500
    default_message = "Credentials encryption is not configured"
