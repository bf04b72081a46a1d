"""The YouTube pool's services (writes). Other apps import from here.

Public API (keyword-only):
- account_acquire_for_upload(*, exclude_project_ids=()) -> YouTubeAccount   (raises PoolExhaustedError)
- account_release_upload_slot(*, account) -> None
- video_upload(*, video, account) -> dict
- video_upload_with_rotation(*, video, max_accounts=5) -> dict
- video_thumbnail_set(*, video_id) -> bool
- account_record_result(*, account, success, error=None) -> None
- pool_capacity(*, now=None) -> dict
- youtube_execute(*, account, method, build_request, record_result=True) -> dict
"""

from .errors import ErrorKind, classify_error
from .health import account_health_check, account_refresh_token, accounts_health_sweep
from .oauth import oauth_complete, oauth_complete_with_redirect, oauth_start, project_for_oauth
from .pool import (
    account_acquire_for_upload,
    account_deactivate,
    account_reactivate,
    account_record_result,
    account_release_upload_slot,
    account_state,
    pool_capacity,
)
from .quota import (
    account_reset_quota,
    metered_call,
    next_reset_at,
    pacific_day_start,
    project_reset_quota,
    quota_reserve,
    quota_reset_due,
    youtube_execute,
)
from .uploads import video_find_uploaded, video_thumbnail_set, video_upload, video_upload_with_rotation

__all__ = [
    "ErrorKind",
    "account_acquire_for_upload",
    "account_deactivate",
    "account_health_check",
    "account_reactivate",
    "account_record_result",
    "account_refresh_token",
    "account_release_upload_slot",
    "account_reset_quota",
    "account_state",
    "accounts_health_sweep",
    "classify_error",
    "metered_call",
    "next_reset_at",
    "oauth_complete",
    "oauth_complete_with_redirect",
    "oauth_start",
    "pacific_day_start",
    "pool_capacity",
    "project_for_oauth",
    "project_reset_quota",
    "quota_reserve",
    "quota_reset_due",
    "video_find_uploaded",
    "video_thumbnail_set",
    "video_upload",
    "video_upload_with_rotation",
    "youtube_execute",
]
