from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer


class ConnectInputSerializer(StrictInputSerializer):
    # Checked against FRONTEND_URL's origin by the service (a URL elsewhere is refused there).
    redirect_after = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConnectOutputSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()
    state = serializers.CharField()
    expires_at = serializers.DateTimeField()


class StaffAuthorizeInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(
        max_length=255, required=False, allow_blank=True, default="", help_text="The Google account (login_hint)"
    )
    is_reserve = serializers.BooleanField(default=False, help_text="A reserve account (cap 2 a day)")
    project = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Google project id or name"
    )
    bind_channel_id = serializers.UUIDField(required=False, help_text="Bind the account to this channel at once")


class OAuthCallbackInputSerializer(StrictInputSerializer):
    state = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    error = serializers.CharField(max_length=200, required=False, allow_blank=True)
    scope = serializers.CharField(max_length=2000, required=False)
    # Google also sends these on the redirect; accepted and ignored.
    authuser = serializers.CharField(max_length=20, required=False)
    prompt = serializers.CharField(max_length=50, required=False)
    hd = serializers.CharField(max_length=255, required=False)
    iss = serializers.CharField(max_length=255, required=False)


class _ConnectedChannelSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()


class OAuthCallbackOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    created = serializers.BooleanField()
    youtube_channel_id = serializers.CharField(allow_null=True)
    handle = serializers.CharField(allow_blank=True)
    channel = _ConnectedChannelSerializer(allow_null=True)


class BucketSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    left = serializers.IntegerField()


class BucketsSerializer(serializers.Serializer):
    uploads = BucketSerializer()
    searches = BucketSerializer()
    units = BucketSerializer()


class ProjectCapacitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    is_sandbox = serializers.BooleanField()
    buckets = BucketsSerializer()
    uploads_possible = serializers.IntegerField()
    last_reset_at = serializers.DateTimeField(allow_null=True)
    next_reset_at = serializers.DateTimeField()


class BoundChannelSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AccountCapacitySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    channel_id = serializers.CharField(allow_null=True)
    handle = serializers.CharField(allow_blank=True)
    project_id = serializers.UUIDField(allow_null=True)
    project_name = serializers.CharField(allow_null=True)
    owner = serializers.ChoiceField(choices=["platform", "customer"])
    is_reserve = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["ok", "resting", "needs_reconnect", "deactivated"])
    uploads_today = serializers.IntegerField()
    daily_upload_cap = serializers.IntegerField()
    uploads_left = serializers.IntegerField()
    health_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    rested_until = serializers.DateTimeField(allow_null=True)
    channel = BoundChannelSerializer(allow_null=True)


class CapacityOutputSerializer(serializers.Serializer):
    uploads_possible_today = serializers.IntegerField()
    next_reset_at = serializers.DateTimeField(allow_null=True)
    unbound_channels = serializers.IntegerField()
    projects = ProjectCapacitySerializer(many=True)
    accounts = AccountCapacitySerializer(many=True)
