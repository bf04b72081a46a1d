from rest_framework import serializers

from ytempire.core.serializers import MoneyField, StrictInputSerializer

MONEY_FIELD = {"max_digits": 10, "min_value": 0}


# --- N8N inputs ----------------------------------------------------------------------


class N8NCostItemInputSerializer(StrictInputSerializer):
    service = serializers.CharField(max_length=50)
    amount = MoneyField(**MONEY_FIELD)
    metadata = serializers.DictField(required=False, default=dict)


class N8NVideoCompleteInputSerializer(StrictInputSerializer):
    video_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["completed", "success", "failed"])
    video_path = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    thumbnail_path = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    audio_path = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    duration_seconds = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=0, required=False, allow_null=True, default=None
    )
    costs = N8NCostItemInputSerializer(many=True, required=False, default=list)
    error = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["status"] in ("completed", "success") and not attrs.get("video_path"):
            raise serializers.ValidationError({"video_path": ["Required when the render completed."]})
        if len(attrs.get("costs") or []) > 50:
            raise serializers.ValidationError({"costs": ["At most 50 cost items per callback."]})
        return attrs


class N8NProgressInputSerializer(StrictInputSerializer):
    video_id = serializers.UUIDField()
    step = serializers.CharField(max_length=100)
    percent = serializers.IntegerField(min_value=0, max_value=100)
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class N8NCostAlertInputSerializer(StrictInputSerializer):
    video_id = serializers.UUIDField()
    current_cost = MoneyField(**MONEY_FIELD, required=False, allow_null=True, default=None)
    service = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


# --- Answers: documented here, and their money keys rendered through MoneyField -------------


class N8NVideoCompleteOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    video_id = serializers.UUIDField()
    video_status = serializers.CharField()
    costs_recorded = serializers.IntegerField()
    total_cost = MoneyField()
    duplicate = serializers.BooleanField(required=False)


class N8NProgressOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    video_id = serializers.UUIDField()
    applied = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    progress = serializers.DictField(required=False)
    duplicate = serializers.BooleanField(required=False)


class N8NCostAlertOutputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["STOP", "CONTINUE"])
    reason = serializers.CharField()
    video_id = serializers.UUIDField()
    current_cost = MoneyField()
    max_cost = MoneyField()
    remaining_budget = MoneyField()
    duplicate = serializers.BooleanField(required=False)


class StripeWebhookOutputSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    type = serializers.CharField()
    handled = serializers.BooleanField()
    applied = serializers.BooleanField(required=False)
    tier = serializers.CharField(required=False)
    subscription_status = serializers.CharField(required=False)
    payment_failed = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False)
    duplicate = serializers.BooleanField(required=False)


def money_rendered(answer: dict, serializer_class: type[serializers.Serializer]) -> dict:
    """``answer`` with each key the serializer declares as money rendered as a JSON number (the
    handlers and the stored duplicates keep decimal strings); every other key as it is."""
    fields = serializer_class().fields
    return {
        key: fields[key].to_representation(value)
        if isinstance(fields.get(key), MoneyField) and value is not None
        else value
        for key, value in answer.items()
    }
