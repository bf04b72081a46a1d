"""JWT issuing on top of simplejwt: family and token-version claims."""

import uuid

from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from .models import RefreshTokenFamily, User

FAMILY_CLAIM = "fam"
VERSION_CLAIM = "ver"


def tokens_for(user: User, *, family: RefreshTokenFamily | None = None) -> dict:
    """Issue an access/refresh pair for ``user`` in ``family`` (a new family if none: a new login)."""
    if family is None:
        family = RefreshTokenFamily.objects.create(id=uuid.uuid4(), user=user)
    refresh = RefreshToken.for_user(user)  # records an OutstandingToken
    refresh[FAMILY_CLAIM] = str(family.id)
    refresh[VERSION_CLAIM] = user.token_version
    access = refresh.access_token
    access[VERSION_CLAIM] = user.token_version
    return {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    }
