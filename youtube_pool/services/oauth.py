"""Connecting a YouTube account: google-auth-oauthlib Flow (offline access, consent, PKCE)."""

import datetime as dt
import logging
import secrets
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from ytempire.core.exceptions import ConflictError

from ..conf import setting
from ..exceptions import OAuthError, OAuthStateError, YouTubePoolError
from ..models import GoogleProject, YouTubeAccount
from .credentials import account_store_credentials, build_youtube, project_client_secret, project_set_client_secret
from .quota import metered_call

logger = logging.getLogger(__name__)
STATE_KEY = "youtube_pool:oauth_state:{state}"


def project_for_oauth(project: str | None = None) -> GoogleProject:
    """The project named (UUID or name), else the one of settings.YOUTUBE_CLIENT_ID (created from the
    settings on first use), else the only active project."""
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
    candidates = list(qs.filter(is_sandbox=False)[:2])
    if len(candidates) == 1:
        return candidates[0]
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


def oauth_start(
    *, email: str, is_reserve: bool = False, project: str | None = None, started_by=None, return_to: str = ""
) -> str:
    """Begin connecting ``email``: returns Google's authorisation URL (offline access, consent
    prompt, login_hint, PKCE S256). The state and the PKCE verifier are kept in the default cache
    for YOUTUBE_OAUTH_STATE_TTL_SECONDS (10 minutes) and can be used once."""
    target = project_for_oauth(project)
    flow = _flow(target)
    state = secrets.token_urlsafe(32)
    url, _ = flow.authorization_url(
        state=state, access_type="offline", prompt="consent", login_hint=email, include_granted_scopes="true"
    )
    ttl = int(setting("YOUTUBE_OAUTH_STATE_TTL_SECONDS"))
    caches["default"].set(
        STATE_KEY.format(state=state),
        {
            "email": email.lower(),
            "is_reserve": bool(is_reserve),
            "project_id": str(target.pk),
            "code_verifier": flow.code_verifier,
            "started_by": str(getattr(started_by, "pk", "") or ""),
            "return_to": return_to,
            "expires_at": (timezone.now() + dt.timedelta(seconds=ttl)).isoformat(),
        },
        timeout=ttl,
    )
    return url


def _take_state(state: str) -> dict | None:
    """Atomic get-and-delete (Redis GETDEL): a state can be redeemed once, even by racing callbacks."""
    cache = caches["default"]
    key = STATE_KEY.format(state=state)
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        raw = client.get_client(write=True).getdel(cache.make_and_validate_key(key))
        return None if raw is None else client.decode(raw)
    value = cache.get(key)  # local-memory cache (single-process development)
    cache.delete(key)
    return value


def oauth_complete(*, state: str, code: str | None = None, error: str | None = None) -> tuple[YouTubeAccount, bool]:
    account, created, _ = oauth_complete_with_redirect(state=state, code=code, error=error)
    return account, created


def oauth_complete_with_redirect(
    *, state: str, code: str | None = None, error: str | None = None
) -> tuple[YouTubeAccount, bool, str]:
    """Finish the flow: redeem the state (single use), exchange the code (PKCE verifier), read the
    channel with channels.list(mine=True) and create or update the account (reconnecting an email
    updates its credentials). Returns (account, created). Raises OAuthStateError for an unknown,
    expired or replayed state and OAuthError for Google's refusals or a missing refresh token."""
    data = _take_state(state) if state else None
    if not data or dt.datetime.fromisoformat(data["expires_at"]) <= timezone.now():
        raise OAuthStateError()
    if error:
        raise OAuthError(f"Google refused the authorisation: {error}")
    if not code:
        raise OAuthError("Google returned no authorisation code")
    project = GoogleProject.objects.filter(pk=data["project_id"], is_active=True).first()
    if project is None:
        raise OAuthError("The Google project of this authorisation is gone or inactive")
    flow = _flow(project, state=state, code_verifier=data["code_verifier"])
    try:
        bundle = setting("GOOGLE_CA_BUNDLE")
        flow.fetch_token(code=code, **({"verify": bundle} if bundle else {}))
    except OAuth2Error as exc:
        raise OAuthError(f"Google refused the code exchange: {exc.error}") from exc
    except Exception as exc:  # transport errors, unexpected bodies
        logger.warning("OAuth code exchange failed", extra={"error": exc.__class__.__name__})
        raise OAuthError(f"The code exchange with Google failed ({exc.__class__.__name__})") from exc
    credentials = flow.credentials
    if not credentials.refresh_token:
        raise OAuthError(
            "Google returned no refresh token: offline access was not granted. Reconnect and accept the consent screen."
        )
    email = data["email"]
    existing = YouTubeAccount.objects.filter(email=email).first()
    youtube = build_youtube(credentials)
    try:
        with metered_call(project=project, method="channels.list", account=existing):
            response = youtube.channels().list(part="snippet,contentDetails", mine=True).execute()
    except YouTubePoolError:
        raise
    except Exception as exc:
        from .errors import describe_error

        raise OAuthError(f"Reading the YouTube channel failed: {describe_error(exc)}") from exc
    items = response.get("items") or []
    if not items:
        raise OAuthError("This Google account has no YouTube channel")
    channel = items[0]
    account, created = _account_upsert(
        email=email,
        project=project,
        is_reserve=data["is_reserve"],
        channel_id=channel["id"],
        channel_handle=channel.get("snippet", {}).get("customUrl", "") or "",
        credentials=credentials,
    )
    return account, created, data.get("return_to") or ""


def _account_upsert(*, email, project, is_reserve, channel_id, channel_handle, credentials):
    with transaction.atomic():
        account = YouTubeAccount.objects.select_for_update().filter(email=email).first()
        created = account is None
        clash = YouTubeAccount.objects.filter(channel_id=channel_id).exclude(email=email).first()
        if clash is not None:
            raise ConflictError(f"This YouTube channel is already connected as {clash.email}")
        if created:
            cap = setting("YOUTUBE_RESERVE_UPLOAD_CAP") if is_reserve else setting("YOUTUBE_ACTIVE_UPLOAD_CAP")
            account = YouTubeAccount(email=email, is_reserve=is_reserve, daily_upload_cap=cap)
        account.project = project
        account.channel_id = channel_id
        account.channel_handle = channel_handle[:255]
        account.is_active = True
        account.needs_reauth = False
        account.deactivated_reason = ""
        account.consecutive_errors = 0
        account_store_credentials(account=account, credentials=credentials, save=False)
        account.full_clean()
        try:
            account.save()
        except IntegrityError as exc:
            raise ConflictError("This YouTube account was connected concurrently; retry") from exc
    logger.info("YouTube account connected", extra={"account": email, "new_account": created})
    return account, created
