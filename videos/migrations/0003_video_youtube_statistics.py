from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0002_video_videos_status_idx_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="video",
            name="view_count",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="video",
            name="like_count",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="video",
            name="comment_count",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="video",
            name="estimated_revenue",
            field=models.DecimalField(blank=True, decimal_places=4, editable=False, max_digits=12, null=True),
        ),
        migrations.AddField(
            model_name="video",
            name="stats_updated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(
                fields=["published_at"],
                include=("status", "total_cost", "estimated_cost", "optimization_level"),
                name="videos_published_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(fields=["channel", "published_at"], name="videos_channel_published_idx"),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(
                condition=models.Q(("status", "failed")), fields=["updated_at"], name="videos_failed_updated_idx"
            ),
        ),
    ]
