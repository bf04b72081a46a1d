"""The analytics API's query inputs and its output shapes (money as JSON numbers, 4 decimals)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from videos.models import OptimizationLevel, VideoStatus
from videos.publishing.serializers import AccountCapacitySerializer, ProjectCapacitySerializer
from ytempire.core.pagination import MAX_LIMIT
from ytempire.core.serializers import DateRangeQueryInputSerializer, MoneyField

from .selectors import COST_BUCKETS, VIDEO_ORDERS

MAX_RANGE_DAYS = 366


class AnalyticsRangeQueryInputSerializer(DateRangeQueryInputSerializer):
    """``from`` and ``to`` (YYYY-MM-DD, UTC days, inclusive); default the last 30 days."""

    max_days = MAX_RANGE_DAYS


class AnalyticsVideosQueryInputSerializer(AnalyticsRangeQueryInputSerializer):
    """``order`` and the range, plus the list's ``page`` and ``limit`` (checked by the paginator)."""

    def get_fields(self):
        return {
            **super().get_fields(),
            "order": serializers.ChoiceField(choices=list(VIDEO_ORDERS), required=False, default="views"),
            "page": serializers.IntegerField(required=False, min_value=1),
            "limit": serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT),
        }


# --- overview -----------------------------------------------------------------------------------
def _status_counts(name: str, **extra) -> type[serializers.Serializer]:
    fields = {status: serializers.IntegerField() for status in VideoStatus.values}
    return type(name, (serializers.Serializer,), {**extra, **fields})


_VideosByStatusSerializer = _status_counts("AnalyticsVideosByStatus")
_VideosPerDaySerializer = _status_counts("AnalyticsVideosPerDay", date=serializers.DateField())


class _TodaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The UTC day")
    videos_by_status = _VideosByStatusSerializer(help_text="Videos created today, by their current status")
    published = serializers.IntegerField(help_text="Videos published today")
    target = serializers.IntegerField(
        help_text="DAILY_VIDEO_TARGET for the platform; a customer's active channels' daily limits"
    )
    automation_rate = serializers.FloatField(
        allow_null=True, help_text="Published today without any staff action / published today"
    )
    failed_needing_attention = serializers.IntegerField(help_text="Failed in the last 7 days and not retried")


class _CostPerVideoSerializer(serializers.Serializer):
    mean = MoneyField(allow_null=True)
    p95 = MoneyField(allow_null=True, help_text="Nearest rank")
    target = MoneyField()
    limit = MoneyField()
    videos = serializers.IntegerField(help_text="Videos published in the last 30 days")


class _EstimateVsActualSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=OptimizationLevel.values)
    estimate = MoneyField(allow_null=True, help_text="Mean estimated cost")
    actual = MoneyField(allow_null=True, help_text="Mean recorded cost")
    videos = serializers.IntegerField()


class _MoneySerializer(serializers.Serializer):
    spend_today = MoneyField(help_text="Ledger of today's budget day")
    held_today = MoneyField(help_text="Open holds of today's budget day")
    daily_budget = MoneyField()
    spend_month = MoneyField()
    monthly_budget = MoneyField()
    cost_per_video = _CostPerVideoSerializer()
    estimate_vs_actual = _EstimateVsActualSerializer(many=True)


class _ProjectRowSerializer(ProjectCapacitySerializer):
    """The capacity page's project row, plus the uploads the project can still pay for today."""

    uploads_left = serializers.IntegerField()


class _AccountRowSerializer(AccountCapacitySerializer):
    """The capacity page's account row; the health score is written as a number here."""

    health_score = serializers.FloatField(help_text="0..100")


class _RowsField(serializers.Field):
    """Capacity rows passed through, projected onto their documented keys. They are plain values
    already (ints, strings, UUIDs, datetimes, a Decimal health score) that the JSON renderer writes
    as it does elsewhere; for the platform's hundreds of accounts this is several times cheaper than
    a nested serializer per row. ``row_serializer`` documents the row (OpenAPI)."""

    row_serializer: type[serializers.Serializer]

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.keys = tuple(self.row_serializer().fields)

    def to_representation(self, rows):
        return [{key: row.get(key) for key in self.keys} for row in rows]


@extend_schema_field(_ProjectRowSerializer(many=True))
class _ProjectRowsField(_RowsField):
    row_serializer = _ProjectRowSerializer


@extend_schema_field(_AccountRowSerializer(many=True))
class _AccountRowsField(_RowsField):
    row_serializer = _AccountRowSerializer


class _CapacitySerializer(serializers.Serializer):
    uploads_possible_today = serializers.IntegerField()
    next_reset_at = serializers.DateTimeField(allow_null=True, help_text="The next midnight, America/Los_Angeles")
    projects = _ProjectRowsField()
    accounts = _AccountRowsField()


class _SpendPerDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Budget day")
    spend = MoneyField()
    budget = MoneyField()


class _CostBucketSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=[label for label, _low, _high in COST_BUCKETS])
    videos = serializers.IntegerField()


class _HourSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Hour of the Pacific day")
    uploads = serializers.IntegerField()


class _ProjectHoursSerializer(serializers.Serializer):
    project = serializers.CharField()
    hours = _HourSerializer(many=True)


class _SeriesSerializer(serializers.Serializer):
    spend_per_day = _SpendPerDaySerializer(many=True)
    videos_per_day = _VideosPerDaySerializer(many=True, help_text="By created UTC day, current status")
    cost_distribution = _CostBucketSerializer(many=True, help_text="Videos published in the last 30 days")
    quota_by_project_today = _ProjectHoursSerializer(many=True, help_text="Uploads since the last Pacific midnight")


class AnalyticsOverviewOutputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["platform", "user"])
    generated_at = serializers.DateTimeField()
    today = _TodaySerializer()
    money = _MoneySerializer()
    capacity = _CapacitySerializer()
    series = _SeriesSerializer()


# --- one channel --------------------------------------------------------------------------------
class _ChannelSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    youtube_channel_id = serializers.CharField(allow_null=True)
    total_views = serializers.IntegerField()
    total_subscribers = serializers.IntegerField()
    total_revenue = MoneyField(allow_null=True, help_text="Null: the channel has not authorised revenue reads")
    revenue_authorised = serializers.BooleanField()
    stats_synced_at = serializers.DateTimeField(allow_null=True)


class _TimezonesSerializer(serializers.Serializer):
    days = serializers.CharField(help_text="Days of views, subscribers and published videos")
    spend = serializers.CharField(help_text="Budget days (COST_BUDGET_TIMEZONE)")
    revenue = serializers.CharField(help_text="YouTube Analytics days")


class _ChannelDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    views = serializers.IntegerField(allow_null=True, help_text="Views gained that day; null when unknown")
    subscribers = serializers.IntegerField(allow_null=True, help_text="At the day's last reading")
    published = serializers.IntegerField()
    spend = MoneyField()
    revenue = MoneyField(allow_null=True, help_text="Null: not authorised, or not reported by YouTube yet")
    cost_per_1k_views = MoneyField(allow_null=True)


class _ChannelTotalsSerializer(serializers.Serializer):
    views = serializers.IntegerField(allow_null=True)
    published = serializers.IntegerField()
    spend = MoneyField()
    revenue = MoneyField(allow_null=True)
    cost_per_1k_views = MoneyField(allow_null=True)
    roi = MoneyField(allow_null=True, help_text="revenue - spend; null without revenue")


class AnalyticsChannelOutputSerializer(serializers.Serializer):
    def get_fields(self):  # ``from`` is a Python keyword
        return {
            "channel": _ChannelSummarySerializer(),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "timezones": _TimezonesSerializer(),
            "days": _ChannelDaySerializer(many=True),
            "totals": _ChannelTotalsSerializer(),
        }


# --- top videos ---------------------------------------------------------------------------------
class AnalyticsVideoOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    channel_id = serializers.UUIDField()
    channel_name = serializers.CharField(source="channel.name")
    youtube_video_id = serializers.CharField(allow_null=True)
    youtube_url = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField()
    views = serializers.IntegerField(source="view_count")
    likes = serializers.IntegerField(source="like_count", allow_null=True)
    comments = serializers.IntegerField(source="comment_count", allow_null=True)
    cost = MoneyField(source="total_cost")
    cost_per_view = serializers.DecimalField(
        max_digits=24, decimal_places=8, coerce_to_string=False, allow_null=True, help_text="Null without views"
    )
    cost_per_1k_views = MoneyField(allow_null=True)
    revenue = MoneyField(source="estimated_revenue", allow_null=True, help_text="Lifetime; null: not authorised")
    stats_updated_at = serializers.DateTimeField(allow_null=True)


class AnalyticsVideoListOutputSerializer(serializers.Serializer):
    """The project's list shape."""

    items = AnalyticsVideoOutputSerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    limit = serializers.IntegerField()
