"""Serializer pieces every app shares: strict inputs, money on the wire, dates the service can use."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from .money import money

# Dates and datetimes the API accepts: years 1970 to 2999 as written. Wide enough for any real
# query, narrow enough that "a week before" or "the day after" can always be computed and that a
# datetime converts to UTC without overflow; the schema says so with YEAR_PATTERN.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
YEAR_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-"
DATE_RANGE_MESSAGE = f"Must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."


def date_in_range(value: dt.date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def datetime_to_utc(value: dt.datetime) -> dt.datetime | None:
    """``value`` in UTC (naive is taken as UTC), or None when its date as written is outside
    EARLIEST_DATE..LATEST_DATE. Converting to UTC also gets rid of offsets PostgreSQL refuses
    (beyond +/-15:59, such as ``+16:13``)."""
    if not date_in_range(value.date()):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class JSONBody(dict):
    """A request body as the API's JSON parser produced it: its values have JSON types, so an input
    serializer can hold them to the documented ones (a query string's values are all text)."""


def _json_type_error(field: serializers.Field, value: Any) -> Any:
    """The error for ``value`` (a JSON value) when its type is not the one ``field`` documents,
    else None. Nested serializers, lists and dicts are checked item by item."""
    if value is None or isinstance(field, MoneyField | serializers.JSONField | serializers.HiddenField):
        return None
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(value, list):
            return ["Must be a list."]
        errors = {str(i): e for i, item in enumerate(value) if (e := _json_type_error(field.child, item))}
        return errors or None
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return ["Must be an object."]
        errors = {
            name: e
            for name, child in field.fields.items()
            if name in value and not child.read_only and (e := _json_type_error(child, value[name]))
        }
        return errors or None
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return ["Must be a list."]
        errors = {str(i): e for i, item in enumerate(value) if (e := _json_type_error(field.child, item))}
        return errors or None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return ["Must be an object."]
        errors = {str(k): e for k, item in value.items() if (e := _json_type_error(field.child, item))}
        return errors or None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else ["Must be a boolean (true or false)."]
    if isinstance(field, serializers.IntegerField):
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if integral and not isinstance(value, bool) else ["Must be an integer."]
    if isinstance(field, serializers.FloatField):
        return None if isinstance(value, int | float) and not isinstance(value, bool) else ["Must be a number."]
    if isinstance(field, serializers.MultipleChoiceField):
        return None if isinstance(value, list) else ["Must be a list."]
    if isinstance(field, serializers.ChoiceField):
        kinds = {type(choice) for choice in field.choice_strings_to_values.values()}
        if kinds == {str} and not isinstance(value, str):
            return ["Must be a string."]
        return None
    if isinstance(field, serializers.CharField):
        if not isinstance(value, str):
            return ["Must be a string."]
        if field.max_length is not None and len(value) > field.max_length:  # before DRF trims it
            return [f"Ensure this field has no more than {field.max_length} characters."]
        return None
    if isinstance(field, serializers.UUIDField | serializers.DateField):
        return None if isinstance(value, str) else ["Must be a string."]
    if isinstance(field, serializers.DateTimeField | serializers.TimeField | serializers.DurationField):
        return None if isinstance(value, str) else ["Must be a string."]
    return None


class StrictInputSerializer(serializers.Serializer):
    """Unknown fields are refused with a 400 (``additionalProperties: false``), so typos are not
    silently ignored; in a JSON body every value must have the documented JSON type (DRF would
    turn ``0`` into ``"0"`` or ``"yes"`` into ``True``)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        if isinstance(data, JSONBody):
            errors = _json_type_error(self, data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def validated_query(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's query parameters validated by ``serializer_class`` (a 400 naming the field
    otherwise); a repeated parameter counts once, its last value."""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class BoundedDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` date between EARLIEST_DATE and LATEST_DATE; anything else is a 400."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not date_in_range(parsed):
            raise serializers.ValidationError(DATE_RANGE_MESSAGE, code="out_of_range")
        return parsed


class DateRangeQueryInputSerializer(StrictInputSerializer):
    """``from`` and ``to`` (YYYY-MM-DD, inclusive, both optional): ``from`` on or before ``to``,
    at most ``max_days`` days in all when both are given."""

    max_days = 366

    def get_fields(self):
        return {"from": BoundedDateField(required=False), "to": BoundedDateField(required=False)}

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"from": ["Must be on or before 'to'."]})
        if start and end and (end - start).days >= self.max_days:
            raise serializers.ValidationError({"to": [f"The range is limited to {self.max_days} days."]})
        return attrs


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime, returned in UTC, within the supported range; anything else is a 400."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        converted = datetime_to_utc(parsed)
        if converted is None:
            raise serializers.ValidationError(DATE_RANGE_MESSAGE, code="out_of_range")
        return converted


DECIMAL_STRING = r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$"
_DECIMAL_STRING = re.compile(DECIMAL_STRING)


class MoneyField(serializers.DecimalField):
    """US dollars on the wire: out, always a JSON number with at most 4 decimals.

    Out: the Decimal rounded by ``money()`` and rendered as a number (never a string). In: a JSON
    number, or a plain decimal string (``"0.1000"``: what n8n expressions produce), rounded
    half-up to 4 places; a boolean, any other string or a non-finite value is a 400.
    Documented by ``ytempire.core.openapi.MoneyFieldExtension``.
    """

    def __init__(self, *, max_digits: int = 14, **kwargs):
        kwargs.pop("coerce_to_string", None)
        kwargs.pop("decimal_places", None)
        super().__init__(max_digits=max_digits, decimal_places=4, coerce_to_string=False, **kwargs)

    def to_internal_value(self, data):
        plain_text = isinstance(data, str) and _DECIMAL_STRING.match(data)
        if plain_text or (isinstance(data, int | Decimal) and not isinstance(data, bool)):
            value = Decimal(data)
        elif isinstance(data, float):
            value = Decimal(repr(data))  # the shortest text that reads back as this float
        else:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        whole_digits = self.max_digits - self.decimal_places
        if abs(value) >= Decimal(10) ** whole_digits:
            self.fail("max_whole_digits", max_whole_digits=whole_digits)
        return money(value)

    def to_representation(self, value):
        if value is None:
            return None
        return money(repr(value) if isinstance(value, float) else value)
