"""Who may see a row: the one rule, written once.

Role admin sees the platform; everybody else sees the rows they own, reached through
``owner_path`` (the lookup from the queried model to the owning user's id).
"""

from django.db.models import QuerySet


def owned_by(queryset: QuerySet, *, user, owner_path: str) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may see (all of it for role admin)."""
    if getattr(user, "is_platform_admin", False):
        return queryset
    return queryset.filter(**{owner_path: user.pk})
