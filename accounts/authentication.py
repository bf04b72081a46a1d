import time

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings

from .identity import user_identity_get
from .tokens import VERSION_CLAIM

# Access tokens whose signature and claims this process has verified, by their raw bytes: a token
# is checked once (PyJWT's HMAC and claim checks cost more than the rest of authentication), then
# only its expiry is checked again on each request. Revocation is untouched: the user's token
# version is compared on every request (get_user). Bounded: emptied when full.
_VERIFIED: dict[bytes, object] = {}
_VERIFIED_MAX = 4096


class VersionedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication plus the per-user token version: a password change or
    deactivation bumps the version, and every token issued before it fails at once.

    Each refusal carries a machine-readable code (``token_expired``, ``token_invalid``,
    ``token_revoked``, ``user_inactive``, ``user_not_found``); the exception handler answers every
    401 with the seed's sentence and that code."""

    def get_validated_token(self, raw_token):
        token = _VERIFIED.get(raw_token)
        if token is not None:
            if token.payload["exp"] > time.time() - self._leeway_seconds(token):
                return token
            _VERIFIED.pop(raw_token, None)
            raise AuthenticationFailed(_("Token is expired"), code="token_expired")
        token = self._verify(raw_token)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[raw_token] = token
        return token

    @staticmethod
    def _leeway_seconds(token) -> float:
        return token.get_token_backend().get_leeway().total_seconds()

    def _verify(self, raw_token):
        """simplejwt's full check (signature, expiry, type, claims) of a token not seen before."""
        expired = False
        for token_class in api_settings.AUTH_TOKEN_CLASSES:
            try:
                return token_class(raw_token)
            except ExpiredTokenError:
                expired = True
            except TokenError:
                pass
        if expired:
            raise AuthenticationFailed(_("Token is expired"), code="token_expired")
        raise AuthenticationFailed(_("Token is invalid"), code="token_invalid")

    def get_user(self, validated_token):
        """The token's user, read through the identity cache (no database query on a hit)."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise AuthenticationFailed(
                _("Token contained no recognizable user identification"), code="token_invalid"
            ) from None
        user = user_identity_get(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return user
