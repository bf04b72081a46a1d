import django_filters

from .models import Channel, ChannelStatus

BOOLEAN_VALUES = ("true", "false", "1", "0")


class ChannelFilter(django_filters.FilterSet):
    """List filters; an invalid value is a 400 in the validation shape, never silently ignored."""

    status = django_filters.ChoiceFilter(choices=ChannelStatus.choices)
    niche = django_filters.CharFilter(field_name="niche", lookup_expr="iexact")
    # Strict: "maybe" is a 400, not silently "no filter" as BooleanFilter would make it.
    automation_enabled = django_filters.TypedChoiceFilter(
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
