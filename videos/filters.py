import django_filters

from .models import OptimizationLevel, Video, VideoStatus


class VideoFilter(django_filters.FilterSet):
    """List filters; an invalid value is a 400 in the validation shape."""

    channel_id = django_filters.UUIDFilter(field_name="channel_id")
    status = django_filters.ChoiceFilter(choices=VideoStatus.choices)
    optimization_level = django_filters.ChoiceFilter(choices=OptimizationLevel.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
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
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"created_after": ["Must not be later than created_before."]})
        return super().filter_queryset(queryset)
