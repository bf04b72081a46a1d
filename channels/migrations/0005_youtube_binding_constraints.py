import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0004_verify_youtube_bindings"),
        ("youtube_pool", "0002_pool_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channel",
            name="youtube_account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="channels",
                to="youtube_pool.youtubeaccount",
            ),
        ),
        migrations.AddConstraint(
            model_name="channel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("youtube_account__isnull", False)),
                fields=("youtube_account",),
                name="channels_one_channel_per_account",
            ),
        ),
        migrations.AddConstraint(
            model_name="channel",
            constraint=models.CheckConstraint(
                condition=models.Q(("youtube_account__isnull", True), ("youtube_channel_id__isnull", False), _connector="OR"),
                name="channels_bound_has_youtube_channel_id",
            ),
        ),
    ]
