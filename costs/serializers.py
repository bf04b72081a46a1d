from rest_framework import serializers

from costs.models import VideoCost
from costs.services import LEVELS
from ytempire.core.serializers import StrictInputSerializer

MAX_DAILY_RANGE_DAYS = 366


class _Money(serializers.DecimalField):
    """Decimal in, JSON number out (Appendix C shows costs as numbers)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=4, coerce_to_string=False, read_only=True, **kwargs)


class CostSummaryQueryInputSerializer(StrictInputSerializer):
    date = serializers.DateField(required=False)


class CostSummaryOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    scope = serializers.ChoiceField(choices=["user", "platform"])
    total_cost = _Money()
    by_service = serializers.DictField(child=_Money())
    video_count = serializers.IntegerField()
    daily_budget = _Money()
    reserved = _Money(allow_null=True, help_text="Open holds of the day (role admin only).")
    budget_remaining = _Money(allow_null=True, help_text="Platform budget left today (null for past days).")
    videos_remaining = serializers.IntegerField(allow_null=True)
    paused = serializers.BooleanField(help_text="True while the daily or monthly budget is reached.")


class CostDailyQueryInputSerializer(StrictInputSerializer):
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); default the last 7 budget days."""

    def get_fields(self):
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)}

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"from": ["Must be on or before 'to'."]})
        if start and end and (end - start).days >= MAX_DAILY_RANGE_DAYS:
            raise serializers.ValidationError({"to": [f"The range is limited to {MAX_DAILY_RANGE_DAYS} days."]})
        return attrs


class CostDailyRowOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    total_cost = _Money()
    by_service = serializers.DictField(child=_Money())
    video_count = serializers.IntegerField()


class CostDailyOutputSerializer(serializers.Serializer):
    """``{"from", "to", "total_cost", "items"}`` (``from`` is a Python keyword, hence get_fields)."""

    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "total_cost": _Money(),
            "items": CostDailyRowOutputSerializer(many=True),
        }


class VideoCostOutputSerializer(serializers.ModelSerializer):
    amount = _Money()
    reservation_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = VideoCost
        fields = ["id", "service", "amount", "timestamp", "budget_date", "reservation_id", "metadata"]
        read_only_fields = fields


class CostEstimateQueryInputSerializer(StrictInputSerializer):
    optimization_level = serializers.ChoiceField(choices=list(LEVELS), required=False, default="standard")


class CostEstimateOutputSerializer(serializers.Serializer):
    optimization_level = serializers.CharField()
    total = _Money()
    breakdown = serializers.DictField(child=_Money())
    config = serializers.DictField(child=serializers.CharField())
    max_cost_per_video = _Money()


class VideoCostLedgerOutputSerializer(serializers.Serializer):
    video_id = serializers.UUIDField()
    status = serializers.CharField()
    total_cost = _Money()
    cost_breakdown = serializers.DictField(child=serializers.CharField())
    items = VideoCostOutputSerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    limit = serializers.IntegerField()
