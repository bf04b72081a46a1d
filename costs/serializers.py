from decimal import Decimal, InvalidOperation

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from costs.models import EstimateBasis, VideoCost
from costs.services import LEVELS
from ytempire.core.money import money
from ytempire.core.presenters import money_number
from ytempire.core.serializers import BoundedDateField, DateRangeQueryInputSerializer, MoneyField, StrictInputSerializer

MAX_DAILY_RANGE_DAYS = 366
# What a ledger row's metadata may show its owner: how the amount came about, never what a
# provider or n8n put in free text (paths, errors).
PUBLIC_COST_METADATA = ("step", "source", "tokens", "characters", "engine", "model", "sandbox")


def money_breakdown(breakdown) -> dict[str, Decimal]:
    """A ``{service: "0.3125"}`` JSON column as ``{service: Decimal}`` (what MoneyField renders)."""
    if not isinstance(breakdown, dict):
        return {}
    amounts = {}
    for service, value in breakdown.items():
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            continue
        if amount.is_finite():
            amounts[str(service)] = money(amount)
    return amounts


def public_cost_metadata(metadata) -> dict:
    if not isinstance(metadata, dict):
        return {}
    return {
        key: metadata[key]
        for key in PUBLIC_COST_METADATA
        if isinstance(metadata.get(key), str | int | bool) and len(str(metadata[key])) <= 100
    }


class CostSummaryQueryInputSerializer(StrictInputSerializer):
    date = BoundedDateField(required=False)


class CostSummaryOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    scope = serializers.ChoiceField(choices=["user", "platform"])
    total_cost = MoneyField(read_only=True)
    by_service = serializers.DictField(child=MoneyField(read_only=True))
    video_count = serializers.IntegerField()
    daily_budget = MoneyField(read_only=True)
    reserved = MoneyField(read_only=True, allow_null=True, help_text="Open holds of the day (role admin only).")
    budget_remaining = MoneyField(
        read_only=True, allow_null=True, help_text="Platform budget left today (null for past days)."
    )
    videos_remaining = serializers.IntegerField(allow_null=True)
    paused = serializers.BooleanField(help_text="True while the daily or monthly budget is reached.")


def cost_summary_data(summary: dict) -> dict:
    """CostSummaryOutputSerializer(summary).data as a plain dict (same keys, order and values; a
    test compares both): the summary is read on every dashboard refresh."""
    day = summary["date"]
    videos_remaining = summary["videos_remaining"]
    return {
        "date": day.isoformat() if day else None,
        "scope": summary["scope"],
        "total_cost": money_number(summary["total_cost"]),
        "by_service": {str(service): money_number(amount) for service, amount in summary["by_service"].items()},
        "video_count": int(summary["video_count"]),
        "daily_budget": money_number(summary["daily_budget"]),
        "reserved": money_number(summary["reserved"]),
        "budget_remaining": money_number(summary["budget_remaining"]),
        "videos_remaining": None if videos_remaining is None else int(videos_remaining),
        "paused": bool(summary["paused"]),
    }


class CostDailyQueryInputSerializer(DateRangeQueryInputSerializer):
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); default the last 7 budget days."""

    max_days = MAX_DAILY_RANGE_DAYS


class CostDailyRowOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    total_cost = MoneyField(read_only=True)
    by_service = serializers.DictField(child=MoneyField(read_only=True))
    video_count = serializers.IntegerField()


class CostDailyOutputSerializer(serializers.Serializer):
    """``{"from", "to", "total_cost", "items"}`` (``from`` is a Python keyword, hence get_fields)."""

    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "total_cost": MoneyField(read_only=True),
            "items": CostDailyRowOutputSerializer(many=True),
        }


class VideoCostOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)
    reservation_id = serializers.UUIDField(read_only=True, allow_null=True)
    metadata = serializers.SerializerMethodField()

    class Meta:
        model = VideoCost
        fields = ["id", "service", "amount", "timestamp", "budget_date", "reservation_id", "metadata"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "description": f"Only: {', '.join(PUBLIC_COST_METADATA)}."})
    def get_metadata(self, cost) -> dict:
        return public_cost_metadata(cost.metadata)


class CostEstimateQueryInputSerializer(StrictInputSerializer):
    optimization_level = serializers.ChoiceField(choices=list(LEVELS), required=False, default="standard")


class CostEstimateOutputSerializer(serializers.Serializer):
    optimization_level = serializers.CharField()
    total = MoneyField(read_only=True)
    breakdown = serializers.DictField(child=MoneyField(read_only=True))
    config = serializers.DictField(child=serializers.CharField())
    basis = serializers.CharField(
        help_text='Where the numbers come from: "p95 of last N videos (+M%)" once the ledger has enough '
        'finished videos at this level, "rate table" before, or both.'
    )
    basis_by_service = serializers.DictField(
        child=serializers.ChoiceField(choices=EstimateBasis.choices),
        help_text="Per service: ledger_p95 (learned from recent videos) or rate_table.",
    )
    samples = serializers.IntegerField(help_text="The fewest finished videos behind a learned service (0: none).")
    max_cost_per_video = MoneyField(read_only=True)


class VideoCostLedgerOutputSerializer(serializers.Serializer):
    video_id = serializers.UUIDField()
    status = serializers.CharField()
    total_cost = MoneyField(read_only=True)
    cost_breakdown = serializers.DictField(child=MoneyField(read_only=True))
    items = VideoCostOutputSerializer(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    limit = serializers.IntegerField()
