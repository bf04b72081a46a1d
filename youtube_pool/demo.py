"""Demo data for `make run`: a sandbox Google project and 15 sandbox accounts (12 active, 3 reserve)."""

from django.db import transaction

from . import crypto
from .conf import upload_cap_default
from .models import GoogleProject, YouTubeAccount

SANDBOX_CLIENT_ID = "sandbox-demo.apps.googleusercontent.invalid"


def create_demo_data(*, staff, customer) -> str:
    with transaction.atomic():
        project, _ = GoogleProject.objects.get_or_create(
            client_id=SANDBOX_CLIENT_ID,
            defaults={"name": "SANDBOX demo project", "is_sandbox": True},
        )
        if not project.client_secret_encrypted:
            project.client_secret_encrypted = crypto.encrypt_text("sandbox-not-a-secret")
            project.save(update_fields=["client_secret_encrypted", "updated_at"])
        created = 0
        for number in range(1, 16):
            reserve = number > 12
            _, was_created = YouTubeAccount.objects.get_or_create(
                email=f"sandbox-{number:02d}@youtube-sandbox.invalid",
                defaults={
                    "project": project,
                    "channel_id": f"UCSANDBOX{number:02d}",
                    "channel_handle": f"@sandbox-channel-{number:02d}",
                    "is_reserve": reserve,
                    "is_sandbox": True,
                    "daily_upload_cap": upload_cap_default(is_reserve=reserve),
                },
            )
            created += was_created
    return f"sandbox Google project + 15 sandbox YouTube accounts (12 active, 3 reserve; {created} new)"
