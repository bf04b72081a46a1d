"""django-filter pieces shared by the list endpoints: datetimes the service can compare with."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from .serializers import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE, YEAR_PATTERN, datetime_to_utc


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime converted to UTC and refused (400) outside the supported range.

    Without the conversion a value such as ``0265-03-01T13:26:00+16:13`` reaches PostgreSQL with
    an offset it refuses (a 500); one such as ``0001-01-01T00:00:00+05:00`` overflows in Python."""

    default_error_messages = {"out_of_range": DATE_RANGE_MESSAGE}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None
        if parsed is None:
            return None
        converted = datetime_to_utc(parsed)
        if converted is None:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return converted


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": YEAR_PATTERN,
        "description": f"ISO 8601 datetime dated {EARLIEST_DATE} to {LATEST_DATE}; compared in UTC "
        "(naive values are taken as UTC).",
    }
)
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` over ``BoundedIsoDateTimeField``, documented with its range."""

    field_class = BoundedIsoDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    """The list filters as the schema documents them, and nothing else:

    - a query parameter the list does not know (a typo, ``?stauts=``) is a 400, not ignored;
    - a typed parameter sent empty (``?status=``, ``?created_after=``) is a 400 (an empty string
      is not an enum value, a UUID or a datetime), not "no filter"; only free text (CharFilter)
      may be empty (``?ordering=`` is a 400: the schema documents it as a list of field names).

    ``extra_parameters``: what the view reads besides the filters (the pagination's)."""

    extra_parameters: tuple[str, ...] = ("page", "limit")

    def is_valid(self):
        valid = super().is_valid()
        for name in sorted(set(self.data) - set(self.filters) - set(self.extra_parameters)):
            self.form.errors[name] = self.form.error_class(["Unknown field."])
            valid = False
        for name, filter_ in self.filters.items():
            free_text = isinstance(filter_, django_filters.CharFilter)
            if not free_text and name in self.data and self.data.get(name) == "":
                self.form.add_error(name, "This field may not be blank.")
                valid = False
        return valid
