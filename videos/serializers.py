from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ytempire.core.presenters import datetime_formatter, iso_datetime, money_number
from ytempire.core.serializers import MoneyField, StrictInputSerializer

from . import presentation
from .models import OptimizationLevel, Video, VideoEvent, VideoStatus
from .services import video_estimated_completion

MAX_TAGS = 30
MAX_TAG_LENGTH = 100


class VideoGenerateInputSerializer(StrictInputSerializer):
    channel_id = serializers.UUIDField()
    title = serializers.CharField(
        max_length=500,
        trim_whitespace=True,
        error_messages={"blank": "Title cannot be empty", "required": "Title is required"},
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH, trim_whitespace=True),
        required=False,
        default=list,
        max_length=MAX_TAGS,
    )
    optimization_level = serializers.ChoiceField(
        choices=OptimizationLevel.choices, required=False, default=OptimizationLevel.STANDARD
    )
    priority = serializers.IntegerField(min_value=1, max_value=10, required=False, default=5)


class VideoGenerateOutputSerializer(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True)
    estimated_cost = MoneyField(
        read_only=True,
        help_text="The level's estimate at queue time; revised on the video once its script is written.",
    )
    estimated_completion = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id",
            "channel_id",
            "title",
            "status",
            "priority",
            "optimization_level",
            "estimated_cost",
            "created_at",
            "estimated_completion",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_estimated_completion(self, video) -> str | None:
        value = video_estimated_completion(video=video)
        return serializers.DateTimeField().to_representation(value) if value else None


class VideoListOutputSerializer(VideoGenerateOutputSerializer):
    """A video as its owner sees it: a failure is a stable ``error_code`` and a sentence
    (``error_message``), never the provider's text or a server path (videos.presentation)."""

    total_cost = MoneyField(read_only=True)
    error_code = serializers.SerializerMethodField(help_text="Stable reason code of a failure; null otherwise.")
    error_message = serializers.SerializerMethodField(help_text="What went wrong, in a sentence; empty otherwise.")

    class Meta(VideoGenerateOutputSerializer.Meta):
        fields = [
            *VideoGenerateOutputSerializer.Meta.fields,
            "total_cost",
            "youtube_url",
            "error_code",
            "error_message",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _failure(self, video):
        return presentation.failure_notice(video)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_error_code(self, video) -> str | None:
        notice = self._failure(video)
        return notice.code if notice else None

    def get_error_message(self, video) -> str:
        notice = self._failure(video)
        return notice.message if notice else ""


class VideoEventOutputSerializer(serializers.ModelSerializer):
    """One history row: ``code`` (stable) and ``message`` (a sentence), plus the data keys a
    customer may see (videos.presentation); the recorded reason and raw data stay with staff."""

    code = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()

    class Meta:
        model = VideoEvent
        fields = ["from_status", "to_status", "code", "message", "data", "at"]
        read_only_fields = fields

    def get_code(self, event) -> str:
        return presentation.event_notice(event).code

    def get_message(self, event) -> str:
        return presentation.event_notice(event).message

    @extend_schema_field(
        {
            "type": "object",
            "description": "Only: step, percent, cost/total_cost/estimated_cost/limit/amount (US dollars), "
            "optimization_level, priority, until, youtube_video_id, youtube_url, sandbox.",
            "additionalProperties": True,
        }
    )
    def get_data(self, event) -> dict:
        return presentation.event_data(event)


class _PublicMetadataSerializer(serializers.Serializer):
    duration_seconds = serializers.FloatField(required=False)
    progress = serializers.DictField(required=False, help_text="step, percent and at of the render progress")


class VideoOutputSerializer(VideoListOutputSerializer):
    events = VideoEventOutputSerializer(many=True, read_only=True)
    providers = serializers.CharField(
        read_only=True, help_text='"sandbox" (offline providers) or "live"; empty before the pipeline starts.'
    )
    cost_breakdown = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()

    class Meta(VideoListOutputSerializer.Meta):
        fields = [
            *VideoListOutputSerializer.Meta.fields,
            "description",
            "tags",
            "category_id",
            "complexity",
            "youtube_video_id",
            "quality_score",
            "generation_time_seconds",
            "cost_breakdown",
            "metadata",
            "queued_at",
            "processing_started_at",
            "processing_completed_at",
            "providers",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=MoneyField()))
    def get_cost_breakdown(self, video) -> dict:
        field = MoneyField()
        breakdown = presentation.public_cost_breakdown(video)
        return {service: field.to_representation(amount) for service, amount in breakdown.items()}

    @extend_schema_field(_PublicMetadataSerializer)
    def get_metadata(self, video) -> dict:
        return presentation.public_metadata(video)


# --- the list's read path, without ModelSerializer -----------------------------------------------
# GET /videos answers with plain dicts built here: VideoListOutputSerializer's keys, order and
# values (it still documents the shape; a test compares both field for field), several times cheaper.

# What the list loads of each video (videos.selectors.video_list_page); the metadata of failed rows only.
LIST_FIELDS = (
    "id",
    "channel_id",
    "title",
    "status",
    "priority",
    "optimization_level",
    "estimated_cost",
    "total_cost",
    "youtube_url",
    "error_message",
    "created_at",
    "updated_at",
    "queued_at",
    "processing_started_at",
    "processing_completed_at",
    "published_at",
)


def video_list_items(videos) -> list[dict]:
    fmt = datetime_formatter()
    return [video_list_item(video, fmt) for video in videos]


def video_list_item(video: Video, fmt=iso_datetime) -> dict:
    """One list item; ``video.failure_metadata`` is its metadata if it failed (the list's annotation)."""
    notice = (
        presentation.failed_notice(metadata=video.failure_metadata, error_message=video.error_message)
        if video.status == VideoStatus.FAILED
        else None
    )
    return {
        "id": str(video.pk),
        "channel_id": str(video.channel_id),
        "title": video.title,
        "status": video.status,
        "priority": video.priority,
        "optimization_level": video.optimization_level,
        "estimated_cost": money_number(video.estimated_cost),
        "created_at": fmt(video.created_at),
        "estimated_completion": fmt(video_estimated_completion(video=video)),
        "total_cost": money_number(video.total_cost),
        "youtube_url": video.youtube_url,
        "error_code": notice.code if notice else None,
        "error_message": notice.message if notice else "",
        "published_at": fmt(video.published_at),
        "updated_at": fmt(video.updated_at),
    }
