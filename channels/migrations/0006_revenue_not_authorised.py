from django.db import migrations, models


def revenue_unknown(apps, schema_editor):
    # Nothing ever wrote the revenue: every stored 0 meant "unknown". Null now says "not authorised"
    # until the stats sync reads revenue through an account that granted the monetary scope.
    apps.get_model("channels", "Channel").objects.filter(total_revenue_cents=0).update(total_revenue_cents=None)


def revenue_zero(apps, schema_editor):
    apps.get_model("channels", "Channel").objects.filter(total_revenue_cents__isnull=True).update(
        total_revenue_cents=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0005_youtube_binding_constraints"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channel",
            name="total_revenue_cents",
            field=models.BigIntegerField(blank=True, default=None, null=True),
        ),
        migrations.RunPython(revenue_unknown, revenue_zero, elidable=True),
    ]
