from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer

from .plans import paid_tiers


class BillingCheckoutInputSerializer(StrictInputSerializer):
    """The plan to buy: one of the paid tiers."""

    tier = serializers.ChoiceField(choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tiers = paid_tiers()
        self.fields["tier"].choices = tiers
        self.fields["tier"].error_messages["invalid_choice"] = (
            f"Unknown paid tier '{{input}}'; choose one of: {', '.join(tiers)}"
        )


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
