"""The health sweep: refresh tokens about to expire, check each active account with a 1-unit call."""

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from ytempire.core.exceptions import ApplicationError

from ..models import YouTubeAccount
from .api import youtube_execute
from .credentials import account_credentials, account_refresh_credentials, account_store_credentials
from .pool import account_record_result
from .quota import quota_reset_due, to_application_error
from .state import accounts_end_expired_rests

logger = logging.getLogger(__name__)


def account_refresh_token(*, account: YouTubeAccount) -> YouTubeAccount:
    """Refresh the access token at the token endpoint and store it encrypted. invalid_grant
    deactivates the account ("reauthorisation needed")."""
    credentials = account_credentials(account)
    try:
        account_refresh_credentials(credentials)
    except Exception as exc:
        account_record_result(account=account, success=False, error=exc)
        raise to_application_error(exc, project=account.project) from exc
    return account_store_credentials(account=account, credentials=credentials)


def account_health_check(*, account: YouTubeAccount) -> dict:
    """Refresh the token if it expires within the hour, then a 1-unit channels.list(mine=True);
    the result moves the health score (account_record_result). Returns a report row."""
    account = YouTubeAccount.objects.select_related("project").get(pk=account.pk)
    now = timezone.now()
    window = dt.timedelta(seconds=int(settings.YOUTUBE_TOKEN_REFRESH_WINDOW_SECONDS))
    row = {"account": account.label, "refreshed": False, "ok": False, "error": ""}
    if account.is_sandbox:
        YouTubeAccount.objects.filter(pk=account.pk).update(last_health_check_at=now)
        row.update(ok=True, error="sandbox: not checked")
        return row
    try:
        if account.token_expires_at is None or account.token_expires_at <= now + window:
            account_refresh_token(account=account)
            row["refreshed"] = True
        youtube_execute(
            account=account,
            method="channels.list",
            build_request=lambda yt: yt.channels().list(part="id", mine=True),
        )
        account_record_result(account=account, success=True)
        row["ok"] = True
    except ApplicationError as exc:
        row["error"] = exc.message
    YouTubeAccount.objects.filter(pk=account.pk).update(last_health_check_at=now)
    return row


def accounts_health_sweep() -> dict:
    """Every 30 minutes: the quota reset if one is due (never mid-day), the end of rests that have
    run out (announced, so waiting videos go on), then a health check of each active account."""
    reset = quota_reset_due()
    rests_ended = accounts_end_expired_rests()
    rows = [
        account_health_check(account=account)
        for account in YouTubeAccount.objects.filter(is_active=True, project__isnull=False).order_by(
            "channel_handle", "id"
        )
    ]
    summary = {
        "checked": len(rows),
        "ok": sum(1 for r in rows if r["ok"]),
        "refreshed": sum(1 for r in rows if r["refreshed"]),
        "late_reset_projects": reset.projects,
        "rests_ended": rests_ended,
        "accounts": rows,
    }
    logger.info("YouTube health sweep", extra={k: v for k, v in summary.items() if k != "accounts"})
    return summary
