"""Accounts have an owner (null: the platform's pool) and may have no email (customers' own
channels are identified by their YouTube channel id). Projects created without a reset moment
get their creation time (issue 13: a project created today must not be reset mid-day)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def fill_reset_moments(apps, schema_editor):
    GoogleProject = apps.get_model("youtube_pool", "GoogleProject")
    YouTubeAccount = apps.get_model("youtube_pool", "YouTubeAccount")
    GoogleProject.objects.filter(last_reset_at__isnull=True).update(last_reset_at=F("created_at"))
    YouTubeAccount.objects.filter(email="").update(email=None)


class Migration(migrations.Migration):
    dependencies = [
        ("youtube_pool", "0002_pool_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="youtubeaccount",
            options={"ordering": ["channel_handle", "channel_id"]},
        ),
        migrations.AddField(
            model_name="youtubeaccount",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: the platform's pool. Otherwise the customer whose own channel this is.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="youtube_accounts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="youtubeaccount",
            name="email",
            field=models.EmailField(blank=True, max_length=255, null=True, unique=True),
        ),
        migrations.RunPython(fill_reset_moments, migrations.RunPython.noop),
    ]
