"""Argument parsing shared by the analytics commands: days and channel ids, refused clearly."""

import datetime as dt
import uuid

from django.core.management.base import CommandError

from ytempire.core.serializers import DATE_RANGE_MESSAGE, date_in_range


def parse_day(value: str | None, *, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: expected a day as YYYY-MM-DD, got {value!r}") from None
    if not date_in_range(day):
        raise CommandError(f"{option}: {DATE_RANGE_MESSAGE}")
    return day


def parse_uuid(value: str | None, *, option: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{option}: expected a channel id (UUID), got {value!r}") from None
