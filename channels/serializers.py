import json

from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer

from .models import Channel, ChannelStatus, upload_time_validator

MAX_SETTINGS_BYTES = 16 * 1024


def _validate_settings(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    if len(json.dumps(value)) > MAX_SETTINGS_BYTES:
        raise serializers.ValidationError(f"Must be at most {MAX_SETTINGS_BYTES} bytes of JSON.")
    return value


class _ChannelFieldsMixin:
    def validate_upload_time_utc(self, value):
        if value:
            try:
                upload_time_validator(value)
            except Exception:
                raise serializers.ValidationError("Upload time must be HH:MM (24-hour, UTC).") from None
        return value

    def validate_settings(self, value):
        return _validate_settings(value)


class ChannelCreateInputSerializer(_ChannelFieldsMixin, StrictInputSerializer):
    name = serializers.CharField(max_length=255, trim_whitespace=True)
    niche = serializers.CharField(max_length=100, trim_whitespace=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    automation_enabled = serializers.BooleanField(required=False, default=True)
    daily_video_limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=5)
    upload_time_utc = serializers.CharField(max_length=5, required=False, allow_blank=True, default="")
    settings = serializers.JSONField(required=False, default=dict)


class ChannelUpdateInputSerializer(_ChannelFieldsMixin, StrictInputSerializer):
    name = serializers.CharField(max_length=255, trim_whitespace=True, required=False)
    niche = serializers.CharField(max_length=100, trim_whitespace=True, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ChannelStatus.choices, required=False)
    automation_enabled = serializers.BooleanField(required=False)
    daily_video_limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    upload_time_utc = serializers.CharField(max_length=5, required=False, allow_blank=True)
    settings = serializers.JSONField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to update.")
        return attrs


class ChannelListOutputSerializer(serializers.ModelSerializer):
    """The lean list item of Appendix C."""

    class Meta:
        model = Channel
        fields = ["id", "name", "niche", "status", "automation_enabled", "total_videos", "total_views", "created_at"]
        read_only_fields = fields


class ChannelOutputSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    youtube_account_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "user_id",
            "youtube_account_id",
            "youtube_channel_id",
            "youtube_channel_handle",
            "name",
            "description",
            "niche",
            "status",
            "automation_enabled",
            "daily_video_limit",
            "upload_time_utc",
            "settings",
            "metadata",
            "total_videos",
            "total_views",
            "total_subscribers",
            "total_revenue_cents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChannelDeleteOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deleted = serializers.ChoiceField(choices=["soft", "hard"])
    status = serializers.CharField(allow_null=True)
    detail = serializers.CharField()
