from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .tokens import VERSION_CLAIM


class VersionedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication plus the per-user token version: a password change or
    deactivation bumps the version, and every token issued before it fails at once."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if validated_token.get(VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed(_("Token has been revoked"), code="token_revoked")
        return user
