"""Prepare the embedded default for `make run`: a staff login (printed) and demo data."""

import importlib
import secrets

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_STAFF_EMAIL = "admin@ytempire.local"
DEMO_CUSTOMER_EMAIL = "demo@ytempire.local"


class Command(BaseCommand):
    help = "Create the demo staff user (prints its login) and each app's demo data (its demo.py)."

    def handle(self, *args, **options):
        from accounts.models import User
        from accounts.services import user_set_tier

        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
            if staff is None:
                staff = User.objects.create_superuser(email=DEMO_STAFF_EMAIL, password=password, full_name="Demo Staff")
            else:
                staff.set_password(password)
                staff.save(update_fields=["password"])
            customer = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
            if customer is None:
                customer = User.objects.create_user(
                    email=DEMO_CUSTOMER_EMAIL, password=password, full_name="Demo Customer"
                )
                # Room to play: the Growth tier's channel and daily video limits.
                user_set_tier(user=customer, tier="growth")
            else:
                customer.set_password(password)
                customer.save(update_fields=["password"])
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                summary = module.create_demo_data(staff=staff, customer=customer)
                if summary:
                    self.stdout.write(f"  {config.label}: {summary}")
        self.stdout.write(self.style.SUCCESS("Demo ready (offline sandbox providers)."))
        self.stdout.write(f"  admin login: {DEMO_STAFF_EMAIL} / {password}")
        self.stdout.write(f"  API login:   {DEMO_CUSTOMER_EMAIL} / {password}")
