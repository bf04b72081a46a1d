"""Values as DRF's serializer fields write them, for the read paths that build plain dicts.

A hot read endpoint (a list, a detail) answers with dicts built by hand instead of a
ModelSerializer, which costs several times more per object. These helpers give exactly what
the matching DRF field's ``to_representation`` gives, so the JSON does not change.
"""

import datetime as dt
from collections.abc import Callable

from django.utils import timezone
from rest_framework import serializers

from .money import money

_datetime = serializers.DateTimeField()
_UTC = dt.UTC


def _utc_isoformat(value: dt.datetime | None) -> str | None:
    if not value:
        return None
    if value.tzinfo is not _UTC:
        return _datetime.to_representation(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def datetime_formatter() -> Callable[[dt.datetime | None], str | None]:
    """A function giving ``DateTimeField().to_representation(value)`` (None for None): ISO 8601 in
    the current time zone, UTC as ``Z``. Ask once per response: when the zone is UTC (the
    settings'), rows PostgreSQL returns in UTC are written without DRF's conversions."""
    if getattr(timezone.get_current_timezone(), "key", None) == "UTC":
        return _utc_isoformat
    return _drf_datetime


def _drf_datetime(value: dt.datetime | None) -> str | None:
    return _datetime.to_representation(value) if value else None


def iso_datetime(value: dt.datetime | None) -> str | None:
    """``DateTimeField().to_representation(value)`` for one value (``datetime_formatter`` for many)."""
    return datetime_formatter()(value)


def text_or_none(value) -> str | None:
    """``CharField().to_representation``, with a serializer's None passed through."""
    return None if value is None else str(value)


def money_number(value) -> float | None:
    """``MoneyField().to_representation(value)`` as the renderer writes it: the amount rounded to
    4 places, as the float DRF's encoder makes of that Decimal (a JSON number)."""
    if value is None:
        return None
    return float(money(repr(value) if isinstance(value, float) else value))
