from django.core.management.base import BaseCommand

from ytempire.schedules import setup_periodic_tasks


class Command(BaseCommand):
    help = "Create or update every celery-beat schedule defined in ytempire/schedules.py."

    def handle(self, *args, **options):
        for name in setup_periodic_tasks():
            self.stdout.write(f"upserted {name}")
