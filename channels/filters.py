import django_filters
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field

from ytempire.core.filters import StrictFilterSet

from .models import EVENT_KIND_PATTERN, Channel, ChannelEvent, ChannelStatus

BOOLEAN_VALUES = ("true", "false", "1", "0")


@extend_schema_field({"type": "string", "enum": list(BOOLEAN_VALUES)})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """true/false/1/0 and nothing else ("maybe" is a 400, not silently "no filter")."""


class ChannelFilter(StrictFilterSet):
    """List filters; an invalid value is a 400 in the validation shape, never silently ignored."""

    status = django_filters.ChoiceFilter(choices=ChannelStatus.choices)
    niche = django_filters.CharFilter(field_name="niche", lookup_expr="iexact")
    automation_enabled = StrictBooleanFilter(
        choices=[(v, v) for v in BOOLEAN_VALUES], coerce=lambda value: value in ("true", "1")
    )
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("name", "name"),
            ("total_views", "total_views"),
            ("total_videos", "total_videos"),
            ("total_subscribers", "total_subscribers"),
        )
    )

    class Meta:
        model = Channel
        fields = ["status", "niche", "automation_enabled", "search"]


class ChannelEventFilter(StrictFilterSet):
    """``kind``: one event code (e.g. youtube_connected); a malformed code is a 400."""

    kind = django_filters.CharFilter(
        field_name="kind",
        validators=[RegexValidator(EVENT_KIND_PATTERN, message="Must be an event kind such as youtube_connected.")],
    )

    class Meta:
        model = ChannelEvent
        fields = ["kind"]
