"""The orjson renderer writes DRF's JSONRenderer bytes for what the API emits."""

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from ytempire.core.presenters import datetime_formatter, money_number
from ytempire.core.renderers import ORJSONRenderer
from ytempire.core.serializers import MoneyField

VALUES = {
    "uuid": uuid.UUID("2f0e4c1a-8c1e-4d5e-9a40-3b7d1c0e9f11"),
    "money": [Decimal("0.2500"), Decimal("0.0001"), Decimal("0"), Decimal("123456789.1234"), Decimal("-1.5")],
    "dt_utc": dt.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
    "dt_whole": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "dt_zone": dt.datetime(2025, 7, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Paris")),
    "dt_naive": dt.datetime(2025, 1, 2, 3, 4, 5),
    "date": dt.date(2025, 1, 2),
    "time": dt.time(14, 30),
    "delta": dt.timedelta(minutes=90),
    "lazy": gettext_lazy("Not found."),
    "text": 'é ✓ \u2028 \u2029 "quoted" \\ \n \t \x01 \x7f',
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, 1e300, True, False, None],
    "nested": {"a": [{"b": ()}], "empty": {}},
}


def test_same_bytes_as_drf():
    assert ORJSONRenderer().render(VALUES) == JSONRenderer().render(VALUES)


def test_what_orjson_refuses_is_drfs():
    for data in ({1: "int key"}, {"big": 2**80}):
        assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
    for renderer in (ORJSONRenderer(), JSONRenderer()):  # DRF fails on a lone surrogate: so does this
        with pytest.raises(UnicodeEncodeError):
            renderer.render({"surrogate": "\ud800"})


def test_indent_and_none_are_drfs():
    assert ORJSONRenderer().render(VALUES, "application/json; indent=2") == JSONRenderer().render(
        VALUES, "application/json; indent=2"
    )
    assert ORJSONRenderer().render(None) == b""


def test_presenters_are_the_fields():
    from rest_framework import serializers

    field = serializers.DateTimeField()
    fmt = datetime_formatter()
    for value in (VALUES["dt_utc"], VALUES["dt_whole"], VALUES["dt_zone"], None):
        assert fmt(value) == (field.to_representation(value) if value else None)
    for amount in [*VALUES["money"], Decimal("0.12345"), None]:
        expected = MoneyField().to_representation(amount)
        assert JSONRenderer().render(money_number(amount)) == JSONRenderer().render(expected)
