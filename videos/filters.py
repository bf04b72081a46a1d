import django_filters
from rest_framework.exceptions import ValidationError

from ytempire.core.filters import BoundedIsoDateTimeFilter, StrictFilterSet

from .models import OptimizationLevel, Video, VideoStatus


class VideoFilter(StrictFilterSet):
    """List filters; an invalid value is a 400 in the validation shape."""

    channel_id = django_filters.UUIDFilter(field_name="channel_id")
    status = django_filters.ChoiceFilter(choices=VideoStatus.choices)
    optimization_level = django_filters.ChoiceFilter(choices=OptimizationLevel.choices)
    # Converted to UTC and bounded: an offset or a year PostgreSQL cannot take is a 400, not a 500.
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("priority", "priority"), ("status", "status"))
    )

    class Meta:
        model = Video
        fields = ["channel_id", "status", "optimization_level", "created_after", "created_before"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            raise ValidationError({"created_after": ["Must not be later than created_before."]})
        return super().filter_queryset(queryset)
