"""Every project has a reset moment (filled by 0003); new ones start "reset now"."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("youtube_pool", "0003_account_owner"),
    ]

    operations = [
        migrations.AlterField(
            model_name="googleproject",
            name="last_reset_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
    ]
