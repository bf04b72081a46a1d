"""OAuth credentials of accounts and projects (encrypted at rest) and the Google API client."""

import datetime as dt
import json
from decimal import Decimal

import google.oauth2.credentials
import google_auth_httplib2
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from googleapiclient.discovery import build
from googleapiclient.http import build_http
from googleapiclient.model import JsonModel

from .. import crypto
from ..exceptions import AccountUnavailableError, ReauthorizationRequiredError
from ..models import GoogleProject, YouTubeAccount


def project_client_secret(project: GoogleProject) -> str:
    return crypto.decrypt_text(project.client_secret_encrypted)


def project_set_client_secret(*, project: GoogleProject, client_secret: str) -> GoogleProject:
    """Store the OAuth client secret encrypted; the plain value is never saved or logged."""
    project.client_secret_encrypted = crypto.encrypt_text(client_secret)
    project.save(update_fields=["client_secret_encrypted", "updated_at"])
    return project


def _aware(expiry: dt.datetime | None) -> dt.datetime | None:
    if expiry is None:
        return None
    return expiry if timezone.is_aware(expiry) else expiry.replace(tzinfo=dt.UTC)


def _granted_scopes(credentials: google.oauth2.credentials.Credentials) -> list[str]:
    """What Google says the user granted (the token response's ``scope``: with granular consent a
    user may refuse some), else what was requested, else the configured scopes."""
    granted = getattr(credentials, "granted_scopes", None)
    if isinstance(granted, str):
        granted = granted.split()
    return list(granted or credentials.scopes or settings.YOUTUBE_SCOPES)


def credentials_to_payload(credentials: google.oauth2.credentials.Credentials) -> dict:
    """The secret part of the credentials; client id/secret live on the project, token URI in settings."""
    expiry = _aware(credentials.expiry)
    return {
        "token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "scopes": _granted_scopes(credentials),
        "expiry": expiry.isoformat() if expiry else None,
    }


def account_granted_scopes(account: YouTubeAccount) -> frozenset[str]:
    """The scopes stored with the account's credentials (empty when it has none, e.g. a sandbox
    account or a disconnected one). Never the token itself."""
    if not account.credentials_encrypted:
        return frozenset()
    return frozenset(crypto.decrypt_json(account.credentials_encrypted).get("scopes") or ())


def account_has_scope(account: YouTubeAccount, scope: str) -> bool:
    """Whether the channel granted ``scope`` (e.g. conf.MONETARY_SCOPE for revenue reads)."""
    return scope in account_granted_scopes(account)


def account_credentials(account: YouTubeAccount) -> google.oauth2.credentials.Credentials:
    """google-auth Credentials for the account, refreshed by the client through GOOGLE_OAUTH_TOKEN_URI."""
    if account.project_id is None:
        raise AccountUnavailableError(f"Account {account.label} has no Google project")
    payload = crypto.decrypt_json(account.credentials_encrypted)
    if not payload.get("refresh_token"):
        raise ReauthorizationRequiredError(f"Account {account.label} has no stored refresh token")
    expiry = None
    if payload.get("expiry"):
        # google-auth compares expiry with a naive UTC clock.
        expiry = dt.datetime.fromisoformat(payload["expiry"]).astimezone(dt.UTC).replace(tzinfo=None)
    project = account.project
    return google.oauth2.credentials.Credentials(
        token=payload.get("token"),
        refresh_token=payload["refresh_token"],
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
        client_id=project.client_id,
        client_secret=project_client_secret(project),
        scopes=payload.get("scopes") or settings.YOUTUBE_SCOPES,
        expiry=expiry,
    )


def account_store_credentials(
    *, account: YouTubeAccount, credentials: google.oauth2.credentials.Credentials, save: bool = True
) -> YouTubeAccount:
    """Encrypt and store the credentials (after the OAuth callback or a token refresh)."""
    account.credentials_encrypted = crypto.encrypt_json(credentials_to_payload(credentials))
    account.token_expires_at = _aware(credentials.expiry)
    if save:
        with transaction.atomic():
            YouTubeAccount.objects.filter(pk=account.pk).update(
                credentials_encrypted=account.credentials_encrypted,
                token_expires_at=account.token_expires_at,
                updated_at=timezone.now(),
            )
    return account


def account_persist_if_refreshed(
    *, account: YouTubeAccount, credentials: google.oauth2.credentials.Credentials, token_before: str | None
) -> None:
    if credentials.token and credentials.token != token_before:
        account_store_credentials(account=account, credentials=credentials)


def google_http():
    """An httplib2 transport with our timeout and, when settings.GOOGLE_CA_BUNDLE is set (a staging
    or test endpoint with its own certificate authority), that CA bundle."""
    http = build_http()  # drops 308 from redirect codes, as resumable uploads need
    http.timeout = settings.YOUTUBE_HTTP_TIMEOUT_SECONDS
    if settings.GOOGLE_CA_BUNDLE:
        http.ca_certs = settings.GOOGLE_CA_BUNDLE
    return http


def account_refresh_credentials(credentials: google.oauth2.credentials.Credentials) -> None:
    """Refresh at GOOGLE_OAUTH_TOKEN_URI (google-auth); raises google.auth RefreshError."""
    credentials.refresh(google_auth_httplib2.Request(google_http()))


def build_youtube(credentials):
    """The real google-api-python-client service, from the bundled discovery document (no fetch),
    pointed at settings.YOUTUBE_API_ENDPOINT when set (staging, tests)."""
    authed = google_auth_httplib2.AuthorizedHttp(credentials, http=google_http())
    endpoint = settings.YOUTUBE_API_ENDPOINT or None
    return build(
        "youtube",
        "v3",
        http=authed,
        client_options={"api_endpoint": endpoint} if endpoint else None,
        static_discovery=True,
        cache_discovery=False,
    )


class DecimalJsonModel(JsonModel):
    """Google's JSON with every number that has a fraction read as ``Decimal``: revenue never
    passes through a float on its way to the database."""

    def deserialize(self, content):
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        body = json.loads(content, parse_float=Decimal)
        if self._data_wrapper and isinstance(body, dict) and "data" in body:
            body = body["data"]
        return body


def build_youtube_analytics(credentials):
    """The YouTube Analytics API v2 client (reports.query) from the bundled discovery document,
    pointed at settings.YOUTUBE_ANALYTICS_ENDPOINT when set (staging, tests); decimals as Decimal."""
    authed = google_auth_httplib2.AuthorizedHttp(credentials, http=google_http())
    endpoint = settings.YOUTUBE_ANALYTICS_ENDPOINT or None
    return build(
        "youtubeAnalytics",
        "v2",
        http=authed,
        client_options={"api_endpoint": endpoint} if endpoint else None,
        static_discovery=True,
        cache_discovery=False,
        model=DecimalJsonModel(),
    )


def credentials_rotate_all(*, dry_run: bool = False) -> dict:
    """Re-encrypt every stored secret under the newest key (MultiFernet.rotate), row by row under a
    row lock, in one transaction: either every row moves to the new key or none does."""
    counts = {"projects": 0, "accounts": 0}
    with transaction.atomic():
        for project in GoogleProject.objects.select_for_update().exclude(client_secret_encrypted=""):
            rotated = crypto.rotate_token(project.client_secret_encrypted)
            counts["projects"] += 1
            if not dry_run:
                GoogleProject.objects.filter(pk=project.pk).update(client_secret_encrypted=rotated)
        for account in YouTubeAccount.objects.select_for_update().exclude(credentials_encrypted=""):
            rotated = crypto.rotate_token(account.credentials_encrypted)
            counts["accounts"] += 1
            if not dry_run:
                YouTubeAccount.objects.filter(pk=account.pk).update(credentials_encrypted=rotated)
    return counts
