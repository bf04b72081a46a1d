"""Secrets at rest: Fernet tokens under a MultiFernet built from settings.CREDENTIALS_ENCRYPTION_KEYS.

Keys are listed newest first: the first encrypts, every key decrypts, so a new key can be prepended
and ``manage.py rotate_credentials_key`` re-encrypts every row before the old key is dropped.
Without keys, development and tests derive a key from SECRET_KEY (HKDF) with a warning; anywhere
else encryption and decryption refuse with CredentialsEncryptionError.
"""

import base64
import json
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .exceptions import CredentialsEncryptionError

logger = logging.getLogger(__name__)
_warned = False


def _dev_key_allowed() -> bool:
    """Only the local and test settings allow it (CREDENTIALS_ALLOW_DEV_KEY); production never."""
    return bool(settings.CREDENTIALS_ALLOW_DEV_KEY)


def development_key() -> bytes:
    """A Fernet key derived from SECRET_KEY: stable across restarts, never used in production."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ytempire-credentials", info=b"youtube_pool v1").derive(
        settings.SECRET_KEY.encode()
    )
    return base64.urlsafe_b64encode(raw)


def get_fernet() -> MultiFernet:
    global _warned
    keys = [k for k in (settings.CREDENTIALS_ENCRYPTION_KEYS or []) if k]
    if keys:
        try:
            return MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            # Never echo the key material itself.
            raise CredentialsEncryptionError(
                "CREDENTIALS_ENCRYPTION_KEYS holds an invalid key: each must be 32 url-safe base64-encoded bytes "
                "(generate one with Fernet.generate_key())"
            ) from exc
    if not _dev_key_allowed():
        raise CredentialsEncryptionError(
            "CREDENTIALS_ENCRYPTION_KEYS is empty: refusing to encrypt or decrypt credentials outside "
            "development. Set it to one or more Fernet keys, newest first."
        )
    if not _warned:
        logger.warning("CREDENTIALS_ENCRYPTION_KEYS is empty: using a development key derived from SECRET_KEY")
        _warned = True
    return MultiFernet([Fernet(development_key())])


def encrypt_text(value: str) -> str:
    if not value:
        return ""
    return get_fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return get_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsEncryptionError(
            "Stored credentials cannot be decrypted with the configured keys (was a key removed too early?)"
        ) from exc


def encrypt_json(data: dict[str, Any]) -> str:
    return encrypt_text(json.dumps(data, sort_keys=True)) if data else ""


def decrypt_json(token: str) -> dict[str, Any]:
    text = decrypt_text(token)
    return json.loads(text) if text else {}


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the newest key (MultiFernet.rotate)."""
    if not token:
        return ""
    try:
        return get_fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsEncryptionError("A stored secret cannot be decrypted with any configured key") from exc
