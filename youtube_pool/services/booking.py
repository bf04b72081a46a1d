"""Booking an upload on one named account: the account's daily slot and its project's upload call.

There is no pool-wide acquisition any more: the caller (the channel's binding) says which account
uploads, and this either books it or says why not and until when."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from ..conf import follow_up_units, next_reset_at
from ..exceptions import AccountFullError, AccountUnavailableError, QuotaExhaustedError
from ..models import GoogleProject, YouTubeAccount


def _available_at(account: YouTubeAccount, now: dt.datetime) -> dt.datetime:
    """When a full or resting account can take an upload again: the end of its rest, the next
    Pacific-midnight reset when its cap is used, the later of the two when both apply."""
    moments = []
    if account.rested_until and account.rested_until > now:
        moments.append(account.rested_until)
    if account.uploads_today >= account.daily_upload_cap:
        moments.append(next_reset_at(now))
    return max(moments) if moments else now


def _refuse_unusable(account: YouTubeAccount, now: dt.datetime) -> None:
    """Raise why ``account`` cannot take an upload now (nothing when it can)."""
    state = account.current_state(now)
    if state == "needs_reconnect":
        raise AccountUnavailableError(f"The YouTube account {account.label} needs reconnecting")
    if state == "deactivated":
        raise AccountUnavailableError(f"The YouTube account {account.label} is deactivated")
    if account.project_id is None:
        raise AccountUnavailableError(f"The YouTube account {account.label} has no Google project")
    if not account.project.is_active:
        raise AccountUnavailableError(f"The Google project of the YouTube account {account.label} is deactivated")
    if state == "resting" or account.uploads_today >= account.daily_upload_cap:
        raise AccountFullError(available_at=_available_at(account, now))


def account_book_upload(*, account_id) -> YouTubeAccount:
    """Book one upload on this account: its ``uploads_today`` +1 (below ``daily_upload_cap``) and one
    videos.insert call on its Google project's upload bucket, in one transaction of two conditional
    UPDATEs (the row locks and re-checked WHERE clauses serialise concurrent bookings, so none passes
    the account's cap or the project's bucket). The project must also keep its units under
    YOUTUBE_UNITS_SOFT_LIMIT_PERCENT with room for the thumbnail. The slot pays the upload's first
    videos.insert in ``youtube_upload``; give it back with ``account_release_upload_slot`` when no
    upload is attempted. Returns the account (project selected) with the counters as this booking
    left them.

    Raises AccountUnavailableError (needs reconnecting, deactivated, unknown, no project or a
    deactivated project), AccountFullError (``available_at``: the end of the rest, or the next
    Pacific-midnight reset when the cap is used) and QuotaExhaustedError (the project's upload
    bucket or units; ``next_reset_at``)."""
    now = timezone.now()
    with transaction.atomic():
        account = YouTubeAccount.objects.select_related("project").filter(pk=account_id).first()
        if account is None:
            raise AccountUnavailableError(f"Unknown YouTube account {account_id}")
        _refuse_unusable(account, now)
        # The project's row first, then the account's: the order every writer of both follows
        # (quota_reserve, account_record_result, release), so concurrent writers never deadlock.
        percent = int(settings.YOUTUBE_UNITS_SOFT_LIMIT_PERCENT)
        paid = GoogleProject.objects.filter(
            pk=account.project_id,
            is_active=True,
            uploads_used__lt=F("upload_limit"),
            units_used__lte=F("units_limit") * percent / 100 - follow_up_units(),
        ).update(uploads_used=F("uploads_used") + 1, updated_at=now)
        if not paid:
            project = GoogleProject.objects.get(pk=account.project_id)
            if not project.is_active:
                raise AccountUnavailableError(
                    f"The Google project of the YouTube account {account.label} is deactivated"
                )
            bucket = "uploads" if project.uploads_used >= project.upload_limit else "units"
            raise QuotaExhaustedError(
                f"The Google project's {bucket} quota cannot pay for an upload until the reset",
                project_id=project.pk,
                bucket=bucket,
                next_reset_at=next_reset_at(now),
            )
        booked = YouTubeAccount.objects.filter(
            Q(rested_until__isnull=True) | Q(rested_until__lte=now),
            pk=account.pk,
            is_active=True,
            needs_reauth=False,
            project_id=account.project_id,
            uploads_today__lt=F("daily_upload_cap"),
        ).update(uploads_today=F("uploads_today") + 1, updated_at=now)
        if not booked:  # raising rolls the project's call back with the transaction
            # Changed since it was read (a concurrent booking took the last slot, or its state
            # changed): say why from a fresh read.
            account = YouTubeAccount.objects.select_related("project").get(pk=account.pk)
            _refuse_unusable(account, now)
            raise AccountFullError(available_at=_available_at(account, now))
        # Read under the two row locks this booking holds: the counters as this booking left them.
        return YouTubeAccount.objects.select_related("project").get(pk=account.pk)


def account_release_upload_slot(*, account: YouTubeAccount) -> None:
    """Give back a slot booked by account_book_upload when no upload was attempted (project row
    first, then the account's, as account_book_upload locks them)."""
    with transaction.atomic():
        GoogleProject.objects.filter(pk=account.project_id).update(uploads_used=Greatest(F("uploads_used") - 1, 0))
        YouTubeAccount.objects.filter(pk=account.pk).update(uploads_today=Greatest(F("uploads_today") - 1, 0))
