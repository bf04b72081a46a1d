from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer


class OAuthAuthorizeInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=255)
    is_reserve = serializers.BooleanField(default=False)
    project = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OAuthCallbackInputSerializer(StrictInputSerializer):
    state = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=2000, required=False)
    error = serializers.CharField(max_length=200, required=False)
    scope = serializers.CharField(max_length=2000, required=False)
    # Google also sends these on the redirect; accepted and ignored.
    authuser = serializers.CharField(max_length=20, required=False)
    prompt = serializers.CharField(max_length=50, required=False)
    hd = serializers.CharField(max_length=255, required=False)
    iss = serializers.CharField(max_length=255, required=False)


class OAuthAuthorizeOutputSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()


class ConnectedAccountSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    channel_id = serializers.CharField()
    channel_handle = serializers.CharField()
    is_reserve = serializers.BooleanField()
    project = serializers.CharField(source="project.name")


class OAuthCallbackOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    created = serializers.BooleanField()
    account = ConnectedAccountSerializer()


class _BucketSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    left = serializers.IntegerField()


class _BucketsSerializer(serializers.Serializer):
    uploads = _BucketSerializer()
    searches = _BucketSerializer()
    units = _BucketSerializer()


class _ProjectCapacitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    is_sandbox = serializers.BooleanField()
    buckets = _BucketsSerializer()
    uploads_possible = serializers.IntegerField()
    last_reset_at = serializers.DateTimeField(allow_null=True)


class _AccountCapacitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    channel_handle = serializers.CharField()
    project = serializers.CharField(allow_null=True)
    is_reserve = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["active", "reserve", "resting", "inactive", "needs_reauth"])
    uploads_today = serializers.IntegerField()
    daily_upload_cap = serializers.IntegerField()
    uploads_left = serializers.IntegerField()
    quota_used_today = serializers.IntegerField()
    health_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    consecutive_errors = serializers.IntegerField()
    rested_until = serializers.DateTimeField(allow_null=True)
    deactivated_reason = serializers.CharField()
    needs_reauth = serializers.BooleanField()


class CapacityOutputSerializer(serializers.Serializer):
    uploads_possible_today = serializers.IntegerField()
    next_reset_at = serializers.DateTimeField()
    projects = _ProjectCapacitySerializer(many=True)
    accounts = _AccountCapacitySerializer(many=True)
