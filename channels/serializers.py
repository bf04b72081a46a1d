import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ytempire.core.presenters import datetime_formatter, iso_datetime, text_or_none
from ytempire.core.serializers import StrictInputSerializer

from .models import UPLOAD_TIME_MESSAGE, UPLOAD_TIME_PATTERN, Channel, ChannelEvent, ChannelStatus
from .ports import ACCOUNT_STATES, not_connected, youtube_summaries

MAX_SETTINGS_BYTES = 16 * 1024
UPLOAD_TIME = {
    "max_length": 5,
    "required": False,
    "allow_blank": True,
    "error_messages": {"invalid": UPLOAD_TIME_MESSAGE},
}


def _validate_settings(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    if len(json.dumps(value)) > MAX_SETTINGS_BYTES:
        raise serializers.ValidationError(f"Must be at most {MAX_SETTINGS_BYTES} bytes of JSON.")
    return value


@extend_schema_field(
    {"type": "object", "additionalProperties": True, "description": "Channel settings (a JSON object)"}
)
class ChannelSettingsField(serializers.JSONField):
    """``settings``: a JSON object of at most 16 KiB (documented as an object, refused otherwise)."""


class _ChannelFieldsMixin:
    def validate_settings(self, value):
        return _validate_settings(value)


class ChannelCreateInputSerializer(_ChannelFieldsMixin, StrictInputSerializer):
    name = serializers.CharField(max_length=255, trim_whitespace=True)
    niche = serializers.CharField(max_length=100, trim_whitespace=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    automation_enabled = serializers.BooleanField(required=False, default=True)
    daily_video_limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=5)
    upload_time_utc = serializers.RegexField(UPLOAD_TIME_PATTERN, default="", **UPLOAD_TIME)
    settings = ChannelSettingsField(required=False, default=dict)


class ChannelUpdateInputSerializer(_ChannelFieldsMixin, StrictInputSerializer):
    name = serializers.CharField(max_length=255, trim_whitespace=True, required=False)
    niche = serializers.CharField(max_length=100, trim_whitespace=True, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ChannelStatus.choices, required=False)
    automation_enabled = serializers.BooleanField(required=False)
    daily_video_limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    upload_time_utc = serializers.RegexField(UPLOAD_TIME_PATTERN, **UPLOAD_TIME)
    settings = ChannelSettingsField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to update.")
        return attrs


class YouTubeSummarySerializer(serializers.Serializer):
    """The channel's YouTube connection (documentation of the ``youtube`` object; filled by channels.ports)."""

    connected = serializers.BooleanField(help_text="The channel is bound to its YouTube channel.")
    channel_id = serializers.CharField(
        allow_null=True, help_text="The YouTube channel id (UC...), null if not connected."
    )
    handle = serializers.CharField(allow_blank=True, help_text="The YouTube handle (@...), empty if unknown.")
    account_state = serializers.ChoiceField(
        choices=ACCOUNT_STATES,
        allow_null=True,
        help_text="ok, resting (upload limit reached; waits), needs_reconnect (connect again), deactivated; "
        "null if not connected.",
    )
    uploads_today = serializers.IntegerField(help_text="Uploads to this YouTube channel today (Pacific day).")
    upload_cap = serializers.IntegerField(help_text="Uploads this YouTube channel may take per day.")


class ChannelOutputListSerializer(serializers.ListSerializer):
    """Asks channels.ports for the ``youtube`` objects of the whole list at once (never per channel)."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        if "youtube_summaries" not in self.context:
            self.context["youtube_summaries"] = youtube_summaries(items)
        return super().to_representation(items)


class _YouTubeFieldMixin(serializers.Serializer):
    youtube = serializers.SerializerMethodField()

    @extend_schema_field(YouTubeSummarySerializer)
    def get_youtube(self, obj) -> dict:
        summaries = self.context.get("youtube_summaries")
        if summaries is None:  # one channel serialized on its own: one call for it
            summaries = youtube_summaries([obj])
        return summaries.get(obj.pk) or not_connected()


class ChannelListOutputSerializer(_YouTubeFieldMixin, serializers.ModelSerializer):
    """The lean list item of Appendix C, plus the channel's ``youtube`` connection."""

    # Model fields the list reads (the view loads only these): the item's and the port's.
    MODEL_FIELDS = (
        "id",
        "name",
        "niche",
        "status",
        "automation_enabled",
        "total_videos",
        "total_views",
        "created_at",
        "youtube_account_id",
        "youtube_channel_id",
        "youtube_channel_handle",
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "niche",
            "status",
            "automation_enabled",
            "total_videos",
            "total_views",
            "created_at",
            "youtube",
        ]
        read_only_fields = fields
        list_serializer_class = ChannelOutputListSerializer


class ChannelOutputSerializer(_YouTubeFieldMixin, serializers.ModelSerializer):
    """One channel as its owner sees it. No account id, email or token: the connection is ``youtube``."""

    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "user_id",
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
            "youtube",
        ]
        read_only_fields = fields
        list_serializer_class = ChannelOutputListSerializer


class ChannelEventOutputSerializer(serializers.ModelSerializer):
    """One line of a channel's history (who acted is kept for staff, not shown here)."""

    class Meta:
        model = ChannelEvent
        fields = ["id", "kind", "reason", "data", "at"]
        read_only_fields = fields


class ChannelDeleteOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deleted = serializers.ChoiceField(choices=["soft", "hard"])
    status = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


# --- the read paths, without ModelSerializer ---------------------------------------------------
# The API answers GET list/detail with plain dicts built here (several times cheaper than the
# ModelSerializers above, which still document the shapes in the schema and serve the writes).
# Same keys, same order, same values: tests compare both outputs field for field.


def channel_list_item(channel: Channel, youtube: dict, fmt=iso_datetime) -> dict:
    """ChannelListOutputSerializer's item for ``channel`` (loaded with at least MODEL_FIELDS)."""
    return {
        "id": str(channel.pk),
        "name": channel.name,
        "niche": channel.niche,
        "status": channel.status,
        "automation_enabled": channel.automation_enabled,
        "total_videos": channel.total_videos,
        "total_views": channel.total_views,
        "created_at": fmt(channel.created_at),
        "youtube": youtube,
    }


def channel_list_items(channels: list[Channel]) -> list[dict]:
    """The page's items; the ``youtube`` objects come from channels.ports in one call."""
    summaries = youtube_summaries(channels)
    fmt = datetime_formatter()
    return [channel_list_item(channel, summaries.get(channel.pk) or not_connected(), fmt) for channel in channels]


def channel_detail(channel: Channel) -> dict:
    """ChannelOutputSerializer's answer for one channel (one call to channels.ports)."""
    youtube = youtube_summaries([channel]).get(channel.pk) or not_connected()
    fmt = datetime_formatter()
    return {
        "id": str(channel.pk),
        "user_id": str(channel.user_id),
        "youtube_channel_id": text_or_none(channel.youtube_channel_id),
        "youtube_channel_handle": text_or_none(channel.youtube_channel_handle),
        "name": text_or_none(channel.name),
        "description": text_or_none(channel.description),
        "niche": text_or_none(channel.niche),
        "status": text_or_none(channel.status),
        "automation_enabled": channel.automation_enabled,
        "daily_video_limit": channel.daily_video_limit,
        "upload_time_utc": text_or_none(channel.upload_time_utc),
        "settings": channel.settings,
        "metadata": channel.metadata,
        "total_videos": channel.total_videos,
        "total_views": channel.total_views,
        "total_subscribers": channel.total_subscribers,
        "total_revenue_cents": channel.total_revenue_cents,
        "created_at": fmt(channel.created_at),
        "updated_at": fmt(channel.updated_at),
        "youtube": youtube,
    }
