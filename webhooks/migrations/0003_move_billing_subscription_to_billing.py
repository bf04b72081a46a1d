"""``BillingSubscription`` moved to the billing app: forget it here, keep its table.

State only: the table ``billing_subscriptions`` stays as it is and belongs to ``billing`` from
now on (``billing.0001`` adopted it first, so the model is never missing from the project state).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("webhooks", "0002_events_log_and_billing"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="BillingSubscription")],
        ),
    ]
