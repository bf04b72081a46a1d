"""Adopt ``BillingSubscription`` from the webhooks app without touching the database.

The table ``billing_subscriptions`` (and its indexes) was created by ``webhooks.0002``; this
migration only records the model in billing's state. ``webhooks.0003`` removes it from the
webhooks state and runs after this one, so the model is never missing from the project state.
The content type (and with it the admin permissions staff already hold) moves to the new label.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=new, model="billingsubscription").exists():
        return
    ContentType.objects.using(db).filter(app_label=old, model="billingsubscription").update(app_label=new)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, old="webhooks", new="billing")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, old="billing", new="webhooks")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("webhooks", "0002_events_log_and_billing"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="BillingSubscription",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("stripe_subscription_id", models.CharField(max_length=255, unique=True)),
                        ("stripe_customer_id", models.CharField(blank=True, default="", max_length=255)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("incomplete", "Incomplete"),
                                    ("incomplete_expired", "Incomplete expired"),
                                    ("trialing", "Trialing"),
                                    ("active", "Active"),
                                    ("past_due", "Past due"),
                                    ("canceled", "Canceled"),
                                    ("unpaid", "Unpaid"),
                                    ("paused", "Paused"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("tier", models.CharField(max_length=20)),
                        ("price_id", models.CharField(blank=True, default="", max_length=255)),
                        ("current_period_end", models.DateTimeField(blank=True, null=True)),
                        ("cancel_at_period_end", models.BooleanField(default=False)),
                        ("canceled_at", models.DateTimeField(blank=True, null=True)),
                        ("payment_failed_at", models.DateTimeField(blank=True, null=True)),
                        ("state_event_id", models.CharField(blank=True, default="", max_length=255)),
                        ("state_event_created", models.BigIntegerField(default=0)),
                        ("state_event_rank", models.PositiveSmallIntegerField(default=0)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="billing_subscriptions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "billing_subscriptions",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["user", "status"], name="billing_sub_user_status_idx"),
                            models.Index(fields=["stripe_customer_id"], name="billing_sub_customer_idx"),
                            models.Index(fields=["status", "-created_at"], name="billing_sub_status_idx"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
