"""Connecting a YouTube channel: google-auth-oauthlib Flow (offline access, consent, PKCE S256).

The same two services serve staff (the platform's pool accounts, owner null) and customers (their
own channel, owner = the customer): ``oauth_start`` records an opaque ``context`` with a
single-use state, ``oauth_complete`` redeems it and returns that context with the account, so the
caller (which knows about channels) decides what to bind. Accounts are keyed by YouTube channel id.

A sandbox project (``is_sandbox``, for ``make run``) never talks to Google: the authorisation URL
is the in-app SANDBOX consent page, whose answer comes back to the same callback with a code this
module signed, and the account created is a sandbox account.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import requests
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from .. import crypto
from ..conf import upload_cap_default
from ..exceptions import CredentialsEncryptionError, OAuthError, OAuthStateError, YouTubePoolError
from ..models import GoogleProject, YouTubeAccount
from .credentials import account_store_credentials, build_youtube, project_client_secret, project_set_client_secret
from .errors import describe_error
from .quota import metered_call
from .state import account_state_announce

logger = logging.getLogger(__name__)
STATE_KEY = "youtube_pool:oauth_state:{digest}"


def _state_key(state: str) -> str:
    """The cache key of a state: its SHA-256 (a state from the browser may hold any character)."""
    return STATE_KEY.format(digest=hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest())


SANDBOX_CODE_PREFIX = "sandbox-"

REASON_CONNECTED = "the YouTube channel was connected"
REASON_RECONNECTED = "the YouTube channel was reconnected"
REASON_DISCONNECTED = "disconnected"

REFUSE_PLATFORM = "This YouTube channel is one of the platform's own accounts; it cannot be connected as yours."
REFUSE_OTHER_USER = "This YouTube channel is already connected by another user."
REFUSE_CUSTOMER = "This YouTube channel is a customer's own channel; it cannot join the platform's pool."


@dataclass(frozen=True)
class OAuthResult:
    """What a completed connection produced: the account (created or reconnected), and the
    ``context`` and ``return_to`` recorded by oauth_start."""

    account: YouTubeAccount
    created: bool
    context: dict
    return_to: str


def project_for_oauth(project: str | None = None) -> GoogleProject:
    """The project named (UUID or name); else the one of settings.YOUTUBE_CLIENT_ID (created from
    the settings on first use); else the only active real project; else, with no real project at
    all, the only active sandbox project (``make run``)."""
    qs = GoogleProject.objects.filter(is_active=True)
    if project:
        try:
            found = qs.filter(pk=uuid.UUID(str(project))).first()
        except ValueError:  # a name, not a UUID
            found = qs.filter(name=project).first()
        if found is None:
            raise YouTubePoolError(f"Unknown or inactive Google project: {project}")
        return found
    if settings.YOUTUBE_CLIENT_ID:
        found = GoogleProject.objects.filter(client_id=settings.YOUTUBE_CLIENT_ID).first()
        if found is None and settings.YOUTUBE_CLIENT_SECRET:
            with transaction.atomic():
                found, created = GoogleProject.objects.get_or_create(
                    client_id=settings.YOUTUBE_CLIENT_ID, defaults={"name": "default"}
                )
                if created:
                    project_set_client_secret(project=found, client_secret=settings.YOUTUBE_CLIENT_SECRET)
        if found is not None and found.is_active:
            return found
    real = list(qs.filter(is_sandbox=False)[:2])
    if len(real) == 1:
        return real[0]
    if not real:
        sandbox = list(qs.filter(is_sandbox=True)[:2])
        if len(sandbox) == 1:
            return sandbox[0]
    raise YouTubePoolError("Choose a Google project (the project parameter): none or several are configured")


def _flow(project: GoogleProject, **kwargs) -> Flow:
    config = {
        "web": {
            "client_id": project.client_id,
            "client_secret": project_client_secret(project),
            "auth_uri": settings.GOOGLE_OAUTH_AUTH_URI,
            "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI,
            "redirect_uris": [settings.YOUTUBE_REDIRECT_URI],
        }
    }
    return Flow.from_client_config(
        config, scopes=list(settings.YOUTUBE_SCOPES), redirect_uri=settings.YOUTUBE_REDIRECT_URI, **kwargs
    )


def sandbox_consent_url(state: str) -> str:
    """The SANDBOX consent page, on the host that serves the OAuth callback."""
    return (
        urljoin(settings.YOUTUBE_REDIRECT_URI, reverse("youtube-sandbox-consent")) + "?" + urlencode({"state": state})
    )


def oauth_start(
    *,
    context: dict,
    project: str | None = None,
    login_hint: str = "",
    is_reserve: bool = False,
    owner_id=None,
    return_to: str = "",
) -> dict:
    """Begin a connection. Returns ``{"authorization_url", "state", "expires_at"}`` (expires_at an
    aware datetime): Google's URL with offline access, the consent prompt, PKCE S256, the
    configured scopes and ``login_hint`` when given; for a sandbox project the SANDBOX consent page.

    The state, the PKCE verifier, ``context`` (an opaque JSON-serialisable dict returned by
    oauth_complete), ``owner_id`` (None: the platform's pool; else the customer the account will
    belong to), ``is_reserve`` and ``return_to`` are kept in the default cache for
    YOUTUBE_OAUTH_STATE_TTL_SECONDS (10 minutes) and can be redeemed once. A customer's own
    account is never a reserve account (YouTubePoolError)."""
    if owner_id is not None and is_reserve:
        raise YouTubePoolError("A customer's own YouTube channel cannot be a reserve account")
    try:
        context = json.loads(json.dumps(context or {}))
    except (TypeError, ValueError) as exc:
        raise YouTubePoolError("The OAuth context must be a JSON object") from exc
    target = project_for_oauth(project)
    state = secrets.token_urlsafe(32)
    ttl = int(settings.YOUTUBE_OAUTH_STATE_TTL_SECONDS)
    expires_at = timezone.now() + dt.timedelta(seconds=ttl)
    code_verifier = ""
    if target.is_sandbox:
        url = sandbox_consent_url(state)
    else:
        flow = _flow(target)
        hint = {"login_hint": login_hint} if login_hint else {}
        url, _ = flow.authorization_url(
            state=state, access_type="offline", prompt="consent", include_granted_scopes="true", **hint
        )
        code_verifier = flow.code_verifier
    caches["default"].set(
        _state_key(state),
        {
            "context": context,
            "project_id": str(target.pk),
            "sandbox": target.is_sandbox,
            "code_verifier": code_verifier,
            "login_hint": login_hint or "",
            "is_reserve": bool(is_reserve),
            "owner_id": str(owner_id) if owner_id is not None else None,
            "return_to": return_to or "",
            "expires_at": expires_at.isoformat(),
        },
        timeout=ttl,
    )
    return {"authorization_url": url, "state": state, "expires_at": expires_at}


def _take_state(state: str) -> dict | None:
    """Atomic get-and-delete (Redis GETDEL): a state can be redeemed once, even by racing callbacks."""
    cache = caches["default"]
    key = _state_key(state)
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        raw = client.get_client(write=True).getdel(cache.make_and_validate_key(key))
        return None if raw is None else client.decode(raw)
    value = cache.get(key)  # local-memory cache (single-process development)
    cache.delete(key)
    return value


def _live(data: dict | None) -> bool:
    return bool(data) and dt.datetime.fromisoformat(data["expires_at"]) > timezone.now()


# --- SANDBOX consent (make run) -------------------------------------------------------------------


def _sandbox_code(state: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"youtube-sandbox-consent:{state}".encode(), hashlib.sha256)
    return SANDBOX_CODE_PREFIX + digest.hexdigest()[:32]


def sandbox_consent_get(*, state: str) -> dict:
    """What the SANDBOX consent page shows for a live sandbox state (without redeeming it):
    ``{"project", "kind", "expires_at"}``. OAuthStateError for anything else."""
    data = caches["default"].get(_state_key(state)) if state else None
    if not _live(data) or not data.get("sandbox"):
        raise OAuthStateError()
    project = GoogleProject.objects.filter(pk=data["project_id"]).first()
    return {
        "project": project.name if project else "",
        "kind": "customer" if data.get("owner_id") else "staff",
        "expires_at": dt.datetime.fromisoformat(data["expires_at"]),
    }


def sandbox_consent_answer(*, state: str, allow: bool) -> str:
    """Where the SANDBOX consent page sends the browser: settings.YOUTUBE_REDIRECT_URI with
    ``state`` and a signed ``code=sandbox-...`` (Allow) or ``error=access_denied`` (Deny), as
    Google would. The state is not redeemed here; the callback does that."""
    sandbox_consent_get(state=state)
    answer = {"state": state, "code": _sandbox_code(state)} if allow else {"state": state, "error": "access_denied"}
    return f"{settings.YOUTUBE_REDIRECT_URI}?{urlencode(answer)}"


def _sandbox_channel(*, state: str, login_hint: str) -> tuple[str, str]:
    """(channel id, handle) the SANDBOX "Google" answers: the sandbox channel already known by the
    login_hint's email (so reconnecting a demo account finds it again), else one derived from the state."""
    if login_hint:
        known = YouTubeAccount.objects.filter(email__iexact=login_hint, is_sandbox=True, channel_id__isnull=False)
        known = known.first()
        if known is not None:
            return known.channel_id, known.channel_handle
    digest = hashlib.sha256(state.encode()).hexdigest()
    return f"UCsandbox{digest[:15]}", f"@sandbox-{digest[:8]}"


# --- Completing ---------------------------------------------------------------------------------


def oauth_complete(*, state: str, code: str | None = None, error: str | None = None) -> OAuthResult:
    """Finish a connection: redeem the state (once), exchange the code (PKCE verifier), read the
    channel with channels.list(mine=True) (1 unit, metered on the project), and create or update the
    account keyed by its YouTube channel id: owner from the state, credentials stored encrypted,
    reconnection clears needs_reauth and reactivates. Announces ``account_state_changed`` (its
    state, "ok" unless it is still resting) in the same transaction.

    Raises OAuthStateError (400) for an unknown, expired or replayed state, and OAuthError (400,
    carrying the state's ``context``/``return_to``) when Google refuses, no refresh token is
    granted, or the ownership rules refuse: a channel owned by another user, a platform channel
    connected by a customer, or a customer's channel connected by staff."""
    data = _take_state(state) if state else None
    if not _live(data):
        raise OAuthStateError()
    context, return_to = data.get("context") or {}, data.get("return_to") or ""

    def refusal(message: str) -> OAuthError:
        return OAuthError(message, context=context, return_to=return_to)

    if error:
        raise refusal(f"Google refused the authorisation: {error}")
    if not code:
        raise refusal("Google returned no authorisation code")
    project = GoogleProject.objects.filter(pk=data["project_id"], is_active=True).first()
    if project is None:
        raise refusal("The Google project of this authorisation is gone or inactive")
    if project.is_sandbox:
        if not hmac.compare_digest(code, _sandbox_code(state)):
            raise refusal("The SANDBOX consent code is not valid for this authorisation")
        channel_id, handle = _sandbox_channel(state=state, login_hint=data.get("login_hint") or "")
        credentials = None
    else:
        channel_id, handle, credentials = _exchange_and_read_channel(project, state, code, data, refusal)
    owner_id = data.get("owner_id")
    email = ""
    if owner_id is None and data.get("login_hint"):
        try:
            validate_email(data["login_hint"])
            email = data["login_hint"].lower()
        except ValidationError:
            email = ""
    account, created = _account_upsert(
        channel_id=channel_id,
        handle=handle,
        project=project,
        owner_id=owner_id,
        is_reserve=bool(data.get("is_reserve")) and owner_id is None,
        email=email,
        credentials=credentials,
        refusal=refusal,
    )
    return OAuthResult(account=account, created=created, context=context, return_to=return_to)


def _exchange_and_read_channel(project: GoogleProject, state: str, code: str, data: dict, refusal):
    flow = _flow(project, state=state, code_verifier=data["code_verifier"] or None)
    try:
        bundle = settings.GOOGLE_CA_BUNDLE
        flow.fetch_token(code=code, **({"verify": bundle} if bundle else {}))
    except OAuth2Error as exc:
        raise refusal(f"Google refused the code exchange: {exc.error}") from exc
    except Exception as exc:  # transport errors, unexpected bodies
        logger.warning("OAuth code exchange failed", extra={"error": exc.__class__.__name__})
        raise refusal(f"The code exchange with Google failed ({exc.__class__.__name__})") from exc
    credentials = flow.credentials
    if not credentials.refresh_token:
        raise refusal(
            "Google returned no refresh token: offline access was not granted. Reconnect and accept the consent screen."
        )
    youtube = build_youtube(credentials)
    try:
        with metered_call(project=project, method="channels.list"):
            response = youtube.channels().list(part="snippet,contentDetails", mine=True).execute()
    except YouTubePoolError as exc:
        raise refusal(exc.message) from exc
    except Exception as exc:
        raise refusal(f"Reading the YouTube channel failed: {describe_error(exc)}") from exc
    items = response.get("items") or []
    if not items:
        raise refusal("This Google account has no YouTube channel")
    channel = items[0]
    return channel["id"], channel.get("snippet", {}).get("customUrl", "") or "", credentials


def _ownership_refusal(account: YouTubeAccount, owner_id: str | None) -> str:
    """Why ``account`` cannot be (re)connected for ``owner_id`` (None: staff, the pool), or ""."""
    if owner_id is None:
        return REFUSE_CUSTOMER if account.owner_id is not None else ""
    if account.owner_id is None:
        return REFUSE_PLATFORM
    return REFUSE_OTHER_USER if str(account.owner_id) != str(owner_id) else ""


def _account_upsert(*, channel_id, handle, project, owner_id, is_reserve, email, credentials, refusal):
    """Create or reconnect the account of ``channel_id`` under its row lock, refusing what the
    ownership rules forbid; announce its state."""
    try:
        with transaction.atomic():
            account = YouTubeAccount.objects.select_for_update().filter(channel_id=channel_id).first()
            created = account is None
            if created:
                account = YouTubeAccount(
                    channel_id=channel_id,
                    owner_id=owner_id,
                    is_reserve=is_reserve,
                    daily_upload_cap=upload_cap_default(is_reserve=is_reserve),
                )
            else:
                reason = _ownership_refusal(account, owner_id)
                if reason:
                    raise refusal(reason)
            if email and not account.email and not YouTubeAccount.objects.filter(email=email).exists():
                account.email = email
            account.project = project
            account.is_sandbox = project.is_sandbox
            account.channel_handle = handle[:255] or account.channel_handle
            account.is_active = True
            account.needs_reauth = False
            account.deactivated_reason = ""
            account.consecutive_errors = 0
            if credentials is not None:
                account_store_credentials(account=account, credentials=credentials, save=False)
            account.full_clean()
            account.save()
            account_state_announce(account=account, reason=REASON_CONNECTED if created else REASON_RECONNECTED)
    except IntegrityError as exc:
        raise refusal("This YouTube channel was connected concurrently; try again") from exc
    except ValidationError as exc:
        raise refusal(f"The YouTube account cannot be stored: {'; '.join(exc.messages)}") from exc
    logger.info("YouTube account connected", extra={"account": account.label, "new_account": created})
    return account, created


# --- Revoking -------------------------------------------------------------------------------------


def _revoke_at_google(token: str) -> bool:
    """POST the token to Google's revoke endpoint. A failure is logged and never raised."""
    try:
        response = requests.post(
            settings.GOOGLE_OAUTH_REVOKE_URI,
            data={"token": token},
            timeout=settings.YOUTUBE_HTTP_TIMEOUT_SECONDS,
            verify=settings.GOOGLE_CA_BUNDLE or True,
        )
    except requests.RequestException as exc:
        logger.warning("Revoking the YouTube token failed", extra={"error": exc.__class__.__name__})
        return False
    if response.status_code != 200:
        logger.warning("Google refused to revoke the YouTube token", extra={"status": response.status_code})
        return False
    return True


def oauth_revoke(*, account: YouTubeAccount) -> None:
    """Disconnect the account: POST its refresh token to settings.GOOGLE_OAUTH_REVOKE_URI (a
    failure is logged and never blocks), then wipe the stored credentials and deactivate it with
    reason "disconnected" (state "deactivated"), announcing it. Reconnecting through OAuth is the
    only way back. A sandbox account has nothing to revoke at Google."""
    token = ""
    if not account.is_sandbox and account.credentials_encrypted:
        try:
            payload = crypto.decrypt_json(account.credentials_encrypted)
            token = payload.get("refresh_token") or payload.get("token") or ""
        except CredentialsEncryptionError:
            logger.warning(
                "Stored credentials unreadable; wiping them without revoking", extra={"account": account.label}
            )
    if token:
        _revoke_at_google(token)
    with transaction.atomic():
        YouTubeAccount.objects.filter(pk=account.pk).update(
            credentials_encrypted="",
            token_expires_at=None,
            is_active=False,
            needs_reauth=False,
            deactivated_reason=REASON_DISCONNECTED,
            updated_at=timezone.now(),
        )
        account.refresh_from_db()
        account_state_announce(account=account, state="deactivated", reason=REASON_DISCONNECTED)
    logger.info("YouTube account disconnected", extra={"account": account.label})
