"""The YouTube pool's services (writes). Other apps import from here (reads: ``youtube_pool.selectors``).

Public API (keyword-only unless noted):
- OAuth: oauth_start(*, context, project=None, login_hint="", is_reserve=False, owner_id=None, return_to="")
  -> {"authorization_url", "state", "expires_at"}; oauth_complete(*, state, code=None, error=None) -> OAuthResult;
  oauth_revoke(*, account) -> None; sandbox_consent_get / sandbox_consent_answer (the SANDBOX consent page)
- Uploads through one named account: account_book_upload(*, account_id) -> YouTubeAccount
  (AccountUnavailableError, AccountFullError, QuotaExhaustedError); account_release_upload_slot(*, account);
  youtube_upload(request: UploadRequest) -> UploadResult; youtube_find_upload; youtube_thumbnail_set; upload_marker
- Binding help: pool_account_pick(*, reserve, exclude_account_ids) -> YouTubeAccount | None
- State: account_state(account, *, now=None) -> "ok" | "resting" | "needs_reconnect" | "deactivated";
  account_record_result(*, account, success, error=None); staff changes: account_deactivate,
  account_reactivate, account_rest, account_end_rest, account_reset_upload_cap, account_reset_quota,
  project_deactivate, project_reactivate, project_reset_quota. Each state change sends
  ``youtube_pool.signals.account_state_changed`` inside its transaction.
- Quota: youtube_execute, metered_call, quota_reserve, quota_reset_due, next_reset_at, pacific_day_start
"""

from .api import youtube_execute
from .booking import account_book_upload, account_release_upload_slot
from .errors import ErrorKind, classify_error
from .health import account_health_check, account_refresh_token, accounts_health_sweep
from .oauth import (
    OAuthResult,
    oauth_complete,
    oauth_revoke,
    oauth_start,
    project_for_oauth,
    sandbox_consent_answer,
    sandbox_consent_get,
)
from .pool import account_record_result, pool_account_pick
from .quota import (
    account_reset_quota,
    metered_call,
    next_reset_at,
    pacific_day_start,
    project_reset_quota,
    quota_reserve,
    quota_reset_due,
)
from .resumable import youtube_find_upload
from .state import (
    account_deactivate,
    account_end_rest,
    account_reactivate,
    account_reset_upload_cap,
    account_rest,
    account_state,
    accounts_end_expired_rests,
    project_deactivate,
    project_reactivate,
)
from .thumbnails import youtube_thumbnail_set
from .uploads import UploadRequest, UploadResult, upload_marker, youtube_upload

__all__ = [
    "ErrorKind",
    "OAuthResult",
    "UploadRequest",
    "UploadResult",
    "account_book_upload",
    "account_deactivate",
    "account_end_rest",
    "account_health_check",
    "account_reactivate",
    "account_record_result",
    "account_refresh_token",
    "account_release_upload_slot",
    "account_reset_quota",
    "account_reset_upload_cap",
    "account_rest",
    "account_state",
    "accounts_end_expired_rests",
    "accounts_health_sweep",
    "classify_error",
    "metered_call",
    "next_reset_at",
    "oauth_complete",
    "oauth_revoke",
    "oauth_start",
    "pacific_day_start",
    "pool_account_pick",
    "project_deactivate",
    "project_for_oauth",
    "project_reactivate",
    "project_reset_quota",
    "quota_reserve",
    "quota_reset_due",
    "sandbox_consent_answer",
    "sandbox_consent_get",
    "upload_marker",
    "youtube_execute",
    "youtube_find_upload",
    "youtube_thumbnail_set",
    "youtube_upload",
]
