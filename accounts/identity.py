"""The authenticated user without a database query per request.

Each request's JWT names a user and a token version. The user's row (without the password) is
kept in the cache for a short time and read instead of PostgreSQL. Anything that changes the
row forgets it: a save (post_save), and the services that write with ``update()`` (token version
bumps, activation). The entry is deleted inside the transaction AND again after commit, so a
request that reads the old row concurrently cannot leave a stale copy behind: a password change
or a deactivation refuses the old tokens at once, as before.
"""

from django.core.cache import cache
from django.db import transaction

from .models import User

CACHE_SECONDS = 60
_FIELDS = tuple(field.attname for field in User._meta.concrete_fields if field.attname not in ("password",))


def _key(user_id) -> str:
    return f"accounts:identity:{user_id}"


def user_identity_get(user_id) -> User | None:
    """The user (password deferred), from the cache or the database; None when there is no such user."""
    values = cache.get(_key(user_id))
    if values is None:
        row = User.objects.filter(pk=user_id).values_list(*_FIELDS).first()
        if row is None:
            return None
        values = list(row)
        cache.set(_key(user_id), values, timeout=CACHE_SECONDS)
    return User.from_db("default", _FIELDS, values)


def user_identity_forget(user_id) -> None:
    """Forget the cached row now and once more after the surrounding transaction commits."""
    key = _key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
