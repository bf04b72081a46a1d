from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer

MONEY_FIELD = {"max_digits": 10, "decimal_places": 4, "min_value": 0}


# --- N8N inputs ----------------------------------------------------------------------


class N8NCostItemInputSerializer(StrictInputSerializer):
    service = serializers.CharField(max_length=50)
    amount = serializers.DecimalField(**MONEY_FIELD)
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
    current_cost = serializers.DecimalField(**MONEY_FIELD, required=False, allow_null=True, default=None)
    service = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


# --- N8N outputs (documentation) -------------------------------------------------------


class N8NVideoCompleteOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    video_id = serializers.UUIDField()
    video_status = serializers.CharField()
    costs_recorded = serializers.IntegerField()
    total_cost = serializers.DecimalField(max_digits=10, decimal_places=4)
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
    current_cost = serializers.DecimalField(max_digits=10, decimal_places=4)
    max_cost = serializers.DecimalField(max_digits=10, decimal_places=4)
    remaining_budget = serializers.DecimalField(max_digits=10, decimal_places=4)
    duplicate = serializers.BooleanField(required=False)


class StripeWebhookOutputSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    type = serializers.CharField()
    handled = serializers.BooleanField()
    applied = serializers.BooleanField(required=False)
    tier = serializers.CharField(required=False)
    duplicate = serializers.BooleanField(required=False)


# --- Billing ---------------------------------------------------------------------------


class BillingCheckoutInputSerializer(StrictInputSerializer):
    tier = serializers.CharField(max_length=20)


class BillingCheckoutOutputSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()
    session_id = serializers.CharField()
    tier = serializers.CharField()


class BillingPortalOutputSerializer(serializers.Serializer):
    portal_url = serializers.URLField()


class BillingSubscriptionDetailSerializer(serializers.Serializer):
    id = serializers.CharField(source="stripe_subscription_id")
    status = serializers.CharField()
    tier = serializers.CharField()
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    canceled_at = serializers.DateTimeField(allow_null=True)
    payment_failed_at = serializers.DateTimeField(allow_null=True)


class BillingSubscriptionOutputSerializer(serializers.Serializer):
    tier = serializers.CharField()
    channel_limit = serializers.IntegerField()
    daily_video_limit = serializers.IntegerField()
    has_billing_account = serializers.BooleanField()
    subscription = BillingSubscriptionDetailSerializer(allow_null=True)
    available_tiers = serializers.ListField(child=serializers.DictField())
