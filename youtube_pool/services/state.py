"""An account's state, and the changes staff (and the health sweep) make to accounts and projects.

State vocabulary, everywhere: "ok", "resting", "needs_reconnect", "deactivated" (see
``YouTubeAccount.current_state``). Every change of it is announced with the domain event
``signals.account_state_changed`` inside the transaction that made it. Each change is one
conditional UPDATE or a row-locked read-then-write touching only the fields it owns, so workers
bumping counters with F() at the same moment lose nothing."""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from ..conf import upload_cap_default
from ..exceptions import ReauthorizationRequiredError
from ..models import GoogleProject, YouTubeAccount
from ..signals import account_state_changed

logger = logging.getLogger(__name__)

# Reasons sent with the event are shown to the channel's owner: plain sentences, no names or emails.
REASON_STAFF_DEACTIVATED = "deactivated by the platform's staff"
REASON_STAFF_REACTIVATED = "reactivated by the platform's staff"
REASON_REST_ENDED = "the rest is over; uploads may resume"


def account_state(account: YouTubeAccount, *, now: dt.datetime | None = None) -> str:
    """ "ok", "resting", "needs_reconnect" or "deactivated" (``is_reserve`` is reported separately)."""
    return account.current_state(now)


def account_state_announce(*, account: YouTubeAccount, reason: str, state: str | None = None) -> str:
    """Send ``account_state_changed`` for ``account`` (its current state unless ``state`` is given).
    Call inside the transaction that changed the account, after the change."""
    state = state or account.current_state()
    account_state_changed.send(sender=YouTubeAccount, account_id=account.pk, state=state, reason=reason)
    return state


def account_deactivate(*, account: YouTubeAccount, reason: str) -> YouTubeAccount:
    """Take the account out of service with ``reason`` (staff-only detail, shown in the admin);
    the event says "deactivated by the platform's staff"."""
    reason = (reason or "").strip() or "deactivated by staff"
    with transaction.atomic():
        YouTubeAccount.objects.filter(pk=account.pk).update(
            is_active=False, deactivated_reason=reason[:255], updated_at=timezone.now()
        )
        account.refresh_from_db()
        account_state_announce(account=account, reason=REASON_STAFF_DEACTIVATED)
    logger.info("YouTube account deactivated", extra={"account": account.label, "reason": reason})
    return account


def account_reactivate(*, account: YouTubeAccount) -> YouTubeAccount:
    """Back into service with a clean error streak, no rest and health of at least 50.

    Refused (ReauthorizationRequiredError) while the account needs reconnecting or has no stored
    credentials (disconnected): its token cannot work, only reconnecting it (OAuth) helps. Checked
    under the row lock."""
    with transaction.atomic():
        locked = YouTubeAccount.objects.select_for_update().get(pk=account.pk)
        if locked.needs_reauth:
            raise ReauthorizationRequiredError(f"{locked.label} needs reauthorisation: reconnect it instead")
        if not locked.credentials_encrypted and not locked.is_sandbox:
            raise ReauthorizationRequiredError(f"{locked.label} is disconnected (no credentials): reconnect it instead")
        YouTubeAccount.objects.filter(pk=account.pk).update(
            is_active=True,
            deactivated_reason="",
            consecutive_errors=0,
            rested_until=None,
            health_score=Greatest(F("health_score"), Decimal(50)),
            updated_at=timezone.now(),
        )
        account.refresh_from_db()
        account_state_announce(account=account, reason=REASON_STAFF_REACTIVATED)
    return account


def account_rest(*, account: YouTubeAccount, hours: int | None = None) -> YouTubeAccount:
    """No uploads from the account for ``hours`` (default settings.YOUTUBE_REST_HOURS)."""
    now = timezone.now()
    hours = settings.YOUTUBE_REST_HOURS if hours is None else hours
    with transaction.atomic():
        YouTubeAccount.objects.filter(pk=account.pk).update(
            rested_until=now + dt.timedelta(hours=hours), updated_at=now
        )
        account.refresh_from_db()
        account_state_announce(account=account, reason=f"uploads paused by the platform's staff for {hours} hours")
    return account


def account_end_rest(*, account: YouTubeAccount) -> YouTubeAccount:
    """End a rest now (after uploadLimitExceeded or a staff rest): the account may take uploads again."""
    with transaction.atomic():
        YouTubeAccount.objects.filter(pk=account.pk).update(rested_until=None, updated_at=timezone.now())
        account.refresh_from_db()
        account_state_announce(account=account, reason=REASON_REST_ENDED)
    return account


def accounts_end_expired_rests(*, now: dt.datetime | None = None) -> int:
    """Clear rests that have run out and announce the accounts that are "ok" again (the health
    sweep runs this, so waiting videos hear of it). Each row under its lock (SKIP LOCKED: a row a
    worker holds is handled on the next sweep). Returns how many rests ended."""
    now = now or timezone.now()
    ended = 0
    with transaction.atomic():
        for account in YouTubeAccount.objects.select_for_update(skip_locked=True).filter(rested_until__lte=now):
            YouTubeAccount.objects.filter(pk=account.pk).update(rested_until=None, updated_at=now)
            account.rested_until = None
            ended += 1
            if account.current_state(now) == "ok":
                account_state_announce(account=account, state="ok", reason=REASON_REST_ENDED)
    return ended


def account_reset_upload_cap(*, account: YouTubeAccount) -> YouTubeAccount:
    """Restore the configured daily cap (YOUTUBE_ACTIVE_UPLOAD_CAP or YOUTUBE_RESERVE_UPLOAD_CAP, by
    the account's role) after uploadLimitExceeded lowered it or the account changed role."""
    with transaction.atomic():
        locked = YouTubeAccount.objects.select_for_update().get(pk=account.pk)
        YouTubeAccount.objects.filter(pk=account.pk).update(
            daily_upload_cap=upload_cap_default(is_reserve=locked.is_reserve), updated_at=timezone.now()
        )
    account.refresh_from_db()
    return account


def project_deactivate(*, project: GoogleProject) -> GoogleProject:
    """No booking or metered call uses the project until it is reactivated."""
    GoogleProject.objects.filter(pk=project.pk).update(is_active=False, updated_at=timezone.now())
    project.refresh_from_db()
    logger.info("Google project deactivated", extra={"project": project.name})
    return project


def project_reactivate(*, project: GoogleProject) -> GoogleProject:
    GoogleProject.objects.filter(pk=project.pk).update(is_active=True, updated_at=timezone.now())
    project.refresh_from_db()
    return project
