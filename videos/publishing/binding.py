"""Binding a channel to its YouTube channel: connect (customers, by OAuth), bind (staff, the
platform's accounts), disconnect, and fail over to a reserve account.

A channel is bound to at most one account and an account to at most one channel (constraints in
``channels``); the OAuth state carries the channel and the user it was issued for, so the callback
(which arrives from the user's browser without a token) binds exactly that channel.
"""

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from channels.models import Channel, ChannelStatus
from channels.selectors import channels_bound_account_ids
from channels.services import channel_bind, channel_event_record, channel_unbind
from youtube_pool.exceptions import OAuthError
from youtube_pool.models import YouTubeAccount
from youtube_pool.selectors import project_capacity_rows
from youtube_pool.services import account_state, oauth_complete, oauth_revoke, oauth_start, pool_account_pick
from ytempire.core.exceptions import ApplicationError, ConflictError, NotFoundError
from ytempire.core.visibility import owned_by

from .waits import channel_videos_resume

logger = logging.getLogger(__name__)

CHANNEL_NOT_FOUND = "Channel not found"
CUSTOMER = "customer"
STAFF = "staff"
UNBINDABLE = frozenset({ChannelStatus.ARCHIVED, ChannelStatus.SUSPENDED})


class BindingError(ApplicationError):
    """400: the YouTube channel cannot be bound (already another channel's, another user's...)."""

    status_code = 400
    default_message = "The YouTube channel cannot be connected"


def _channel_for(*, user, channel_id) -> Channel:
    try:
        pk = channel_id if isinstance(channel_id, uuid.UUID) else uuid.UUID(str(channel_id))
    except (TypeError, ValueError, AttributeError):
        raise NotFoundError(CHANNEL_NOT_FOUND) from None
    channel = owned_by(Channel.objects.all(), user=user, owner_path="user_id").filter(pk=pk).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    return channel


def redirect_after_checked(raw: str) -> str:
    """A ``redirect_after`` the frontend asked for, accepted only on FRONTEND_URL's origin."""
    if not raw:
        return ""
    frontend = urlsplit(settings.FRONTEND_URL)
    target = urlsplit(raw)
    if (target.scheme, target.netloc) != (frontend.scheme, frontend.netloc) or target.scheme not in ("http", "https"):
        raise ValidationError({"redirect_after": [f"Must be a page of the frontend ({settings.FRONTEND_URL})."]})
    return raw


def redirect_with(url: str, **params) -> str:
    """``url`` with ``params`` added to its query string (the frontend reads connected=1 / error=...)."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --- Customers connect their own channel -------------------------------------------------------


def channel_connect_start(*, user, channel_id, redirect_after: str = "") -> dict:
    """Start connecting the caller's channel to their YouTube channel (404 for anyone else's).

    Returns ``{"authorization_url", "state", "expires_at"}``: offline access, consent prompt, PKCE,
    the configured scopes; the state lives 10 minutes, is single use, and records this channel and
    this user, so only this channel can be bound with it."""
    channel = _channel_for(user=user, channel_id=channel_id)
    if channel.status in UNBINDABLE:
        raise ConflictError(f"A {channel.status} channel cannot be connected to YouTube.")
    redirect_after = redirect_after_checked(redirect_after)
    return oauth_start(
        context={
            "kind": CUSTOMER,
            "channel_id": str(channel.pk),
            "user_id": str(channel.user_id),
            "redirect_after": redirect_after,
        },
        project=_project_for_customers(),
        owner_id=channel.user_id,
    )


def _project_for_customers() -> str | None:
    """The Google project a customer's channel connects through: quota belongs to the project, so
    new connections go to the active project with the most upload headroom today (real projects
    before sandbox ones). None lets the pool choose (e.g. the one configured in settings)."""
    rows = [row for row in project_capacity_rows() if row["is_active"]]
    if not rows:
        return None
    best = max(rows, key=lambda row: (not row["is_sandbox"], row["uploads_left"], row["name"]))
    return str(best["id"])


# --- Staff connect the platform's accounts -------------------------------------------------------


def staff_connect_start(
    *, staff_user, login_hint: str = "", is_reserve: bool = False, project: str | None = None, bind_channel_id=None
) -> dict:
    """Start connecting one of the platform's own YouTube accounts; with ``bind_channel_id`` the
    new account is bound to that channel as soon as it is connected."""
    if bind_channel_id is not None:
        channel = Channel.objects.filter(pk=bind_channel_id).first()
        if channel is None:
            raise NotFoundError(CHANNEL_NOT_FOUND)
        if channel.status in UNBINDABLE:
            raise ConflictError(f"A {channel.status} channel cannot be connected to YouTube.")
    return oauth_start(
        context={
            "kind": STAFF,
            "channel_id": str(bind_channel_id) if bind_channel_id else "",
            "user_id": str(staff_user.pk),
            "redirect_after": "",
        },
        project=project,
        login_hint=login_hint,
        is_reserve=is_reserve,
        owner_id=None,
    )


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback did: the account connected, the channel bound (if any), where to send the
    browser (the frontend page the connection was started from, if any), and the refusal, if any."""

    account: YouTubeAccount | None
    created: bool
    channel: Channel | None
    kind: str
    redirect_after: str
    error: ApplicationError | None = None


def youtube_oauth_callback(*, state: str, code: str | None = None, error: str | None = None) -> CallbackOutcome:
    """Complete a connection (customer or staff): redeem the state, store the account, and bind
    the channel the state was issued for. A YouTube channel already bound to another platform
    channel is refused (400) and nothing is bound.

    When the state named a frontend page (``redirect_after``), a refusal is returned in the outcome
    (the browser is sent back with ``?error=...``); otherwise it is raised (a JSON 400)."""
    try:
        result = oauth_complete(state=state, code=code, error=error)
    except OAuthError as exc:
        context = getattr(exc, "context", None) or {}
        if context.get("redirect_after"):
            return CallbackOutcome(None, False, None, context.get("kind") or CUSTOMER, context["redirect_after"], exc)
        raise
    context = result.context or {}
    kind, redirect_after = context.get("kind") or STAFF, context.get("redirect_after") or ""
    channel = None
    try:
        if context.get("channel_id"):
            channel = Channel.objects.filter(pk=context["channel_id"]).first()
            if channel is None:
                raise BindingError("The channel this connection was started for no longer exists.")
            if kind == CUSTOMER and str(channel.user_id) != context.get("user_id"):
                raise BindingError("This connection was started for another user's channel.")
            channel = channel_bind_account(channel_id=channel.pk, account_id=result.account.pk, actor=kind)
    except ApplicationError as exc:
        if redirect_after:
            return CallbackOutcome(result.account, result.created, None, kind, redirect_after, exc)
        raise
    return CallbackOutcome(result.account, result.created, channel, kind, redirect_after)


# --- Binding -------------------------------------------------------------------------------------


def channel_bind_account(*, channel_id, account_id, actor: str = "") -> Channel:
    """Bind ``account_id`` to the channel (pending_oauth -> active) and wake its waiting videos.

    Refused (400) when the account's YouTube channel is already bound to another platform channel,
    when the account belongs to another user than the channel, or the channel cannot take it."""
    account = YouTubeAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFoundError("YouTube account not found")
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    if account.owner_id is not None and account.owner_id != channel.user_id:
        raise BindingError("This YouTube channel belongs to another user; it cannot be bound to this channel.")
    bound_elsewhere = Channel.objects.filter(youtube_account_id=account.pk).exclude(pk=channel.pk).first()
    if bound_elsewhere is not None or (
        account.channel_id
        and Channel.objects.filter(youtube_channel_id=account.channel_id).exclude(pk=channel.pk).exists()
    ):
        raise BindingError("This YouTube channel is already connected to another channel on the platform.")
    try:
        with transaction.atomic():
            bound = channel_bind(
                channel_id=channel.pk,
                account_id=account.pk,
                youtube_channel_id=account.channel_id or "",
                handle=account.channel_handle,
                actor=actor,
            )
            transaction.on_commit(lambda: channel_videos_resume(channel_id=bound.pk))
    except ConflictError as exc:
        raise BindingError(exc.message) from exc
    logger.info("channel bound to its YouTube channel", extra={"channel_id": str(bound.pk)})
    return bound


def channel_bind_free_pool_account(*, channel_id, actor: str = "") -> Channel:
    """Staff: bind the least-loaded healthy active platform account not bound to another channel,
    on the project with the most upload headroom. Retries the next candidate when a concurrent
    bind took the one picked."""
    for _ in range(5):
        account = pool_account_pick(reserve=False, exclude_account_ids=channels_bound_account_ids())
        if account is None:
            raise ConflictError("No free pool account: every healthy active account is bound to a channel.")
        try:
            return channel_bind_account(channel_id=channel_id, account_id=account.pk, actor=actor)
        except BindingError:
            continue  # taken meanwhile: pick again
    raise ConflictError("Could not bind a pool account (the candidates kept being taken); try again.")


def channel_disconnect(*, user, channel_id) -> Channel:
    """The owner disconnects their channel from YouTube: unbind, and revoke the token at Google
    when the account is the customer's own. Running uploads finish; queued videos wait until the
    channel is connected again."""
    channel = _channel_for(user=user, channel_id=channel_id)
    if channel.youtube_account_id is None:
        raise ConflictError("This channel is not connected to YouTube.")
    account = YouTubeAccount.objects.filter(pk=channel.youtube_account_id).first()
    unbound = channel_unbind(channel_id=channel.pk, reason="disconnected by the owner", actor=CUSTOMER)
    if account is not None and account.owner_id is not None:
        oauth_revoke(account=account)
    return unbound


def channel_failover(*, channel_id, actor: str = "") -> Channel:
    """Move a platform channel whose account is dead (deactivated or needing reconnection) to a free
    reserve account, and resume its waiting videos. A customer's own channel never fails over."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    current = (
        YouTubeAccount.objects.filter(pk=channel.youtube_account_id).first() if channel.youtube_account_id else None
    )
    if current is not None and current.owner_id is not None:
        raise ConflictError("A customer's own YouTube channel never fails over; they reconnect it.")
    if current is not None and account_state(current) in ("ok", "resting"):
        raise ConflictError("The channel's account still works; fail over only from a dead account.")
    reserve = pool_account_pick(reserve=True, exclude_account_ids=channels_bound_account_ids())
    if reserve is None:
        raise ConflictError("No free reserve account to fail over to.")
    with transaction.atomic():
        if current is not None:
            channel_unbind(channel_id=channel.pk, reason="failed over to a reserve account", actor=actor)
        bound = channel_bind_account(channel_id=channel.pk, account_id=reserve.pk, actor=actor)
        channel_event_record(
            channel_id=channel.pk,
            kind="youtube_failover",
            reason="moved to a reserve YouTube account",
            actor=actor,
        )
    return bound
