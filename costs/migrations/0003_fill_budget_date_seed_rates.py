from decimal import Decimal

from django.db import migrations

# The seed's price table (section 10) plus rendering, thumbnail and upload. Editable in admin;
# this migration only inserts rows that do not exist yet.
SEED_RATES = [
    ("openai", "gpt-3.5-turbo", "1k_tokens", "0.0020", "Script generation, gpt-3.5-turbo (seed price)"),
    ("openai", "gpt-4", "1k_tokens", "0.0300", "Script generation, gpt-4 (seed price)"),
    ("tts", "google", "1k_characters", "0.0160", "Google Text-to-Speech (seed price)"),
    ("tts", "elevenlabs", "1k_characters", "0.3000", "ElevenLabs voice (seed price)"),
    ("rendering", "720p", "minute", "0.0100", "Video rendering at 720p, minimal effects"),
    ("rendering", "1080p", "minute", "0.0200", "Video rendering at 1080p"),
    ("thumbnail", "template", "image", "0.0100", "Template thumbnail"),
    ("thumbnail", "dall-e-3", "image", "0.0400", "Generated thumbnail image"),
    ("upload", "youtube", "upload", "0.0100", "Storage and egress for one upload"),
]


def fill_budget_date(apps, schema_editor):
    """Existing rows count for the UTC day of their timestamp (the default budget timezone)."""
    from datetime import UTC

    VideoCost = apps.get_model("costs", "VideoCost")
    for row in VideoCost.objects.filter(budget_date__isnull=True).only("pk", "timestamp").iterator():
        VideoCost.objects.filter(pk=row.pk).update(budget_date=row.timestamp.astimezone(UTC).date())


def seed_rates(apps, schema_editor):
    ServiceRate = apps.get_model("costs", "ServiceRate")
    for service, model, unit, price, description in SEED_RATES:
        ServiceRate.objects.get_or_create(
            service=service,
            model=model,
            defaults={"unit": unit, "price": Decimal(price), "description": description, "is_active": True},
        )


def unseed_rates(apps, schema_editor):
    ServiceRate = apps.get_model("costs", "ServiceRate")
    for service, model, *_ in SEED_RATES:
        ServiceRate.objects.filter(service=service, model=model).delete()


class Migration(migrations.Migration):
    dependencies = [("costs", "0002_ledger_holds_budget")]

    operations = [
        migrations.RunPython(fill_budget_date, migrations.RunPython.noop),
        migrations.RunPython(seed_rates, unseed_rates),
    ]
