from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("costs", "0003_fill_budget_date_seed_rates")]

    operations = [
        migrations.AlterField(model_name="videocost", name="budget_date", field=models.DateField()),
    ]
