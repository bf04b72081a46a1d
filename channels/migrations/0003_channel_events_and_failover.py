import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0002_channel_channels_user_name_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        max_length=40,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[a-z][a-z0-9_]{0,39}$",
                                message="An event kind is a short code: lowercase letters, digits and underscores.",
                            )
                        ],
                    ),
                ),
                ("reason", models.CharField(blank=True, default="", max_length=500)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("actor", models.CharField(blank=True, default="", max_length=100)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "channel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="channels.channel"
                    ),
                ),
            ],
            options={
                "db_table": "channel_events",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["channel", "-at", "-id"], name="channel_events_channel_at_idx"),
                    models.Index(fields=["channel", "kind", "-at"], name="channel_events_kind_at_idx"),
                    models.Index(fields=["-at"], name="channel_events_at_idx"),
                ],
            },
        ),
        migrations.AddField(
            model_name="channel",
            name="failover_to_reserve",
            field=models.BooleanField(default=False),
        ),
    ]
