from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer

from .models import OptimizationLevel, Video, VideoEvent
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


class _Money(serializers.DecimalField):
    """Decimal in, JSON number out (Appendix C shows costs as numbers)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=10, decimal_places=4, coerce_to_string=False, read_only=True, **kwargs)


class VideoGenerateOutputSerializer(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True)
    estimated_cost = _Money()
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

    def get_estimated_completion(self, video) -> str | None:
        value = video_estimated_completion(video=video)
        return serializers.DateTimeField().to_representation(value) if value else None


class VideoListOutputSerializer(VideoGenerateOutputSerializer):
    total_cost = _Money()

    class Meta(VideoGenerateOutputSerializer.Meta):
        fields = [
            *VideoGenerateOutputSerializer.Meta.fields,
            "total_cost",
            "youtube_url",
            "error_message",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields


class VideoEventOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = VideoEvent
        fields = ["from_status", "to_status", "reason", "data", "at"]
        read_only_fields = fields


class VideoOutputSerializer(VideoListOutputSerializer):
    events = VideoEventOutputSerializer(many=True, read_only=True)
    providers = serializers.CharField(
        read_only=True, help_text='"sandbox" (offline providers) or "live"; empty before the pipeline starts.'
    )

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
