"""Make (or check) the N8N callback secret in the two forms the two sides need.

Standard Webhooks keys are the base64-decoded bytes of ``whsec_<base64>``; n8n's Crypto node
takes its HMAC key as text. So the key is made of printable ASCII: n8n gets the text
(``YTEMPIRE_WEBHOOK_SIGNING_KEY``), the API gets ``whsec_`` + base64 of the same bytes.
"""

import base64
import binascii
import secrets
import string

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PRINTABLE = set(string.ascii_letters + string.digits + "-_.~")


def signing_key_from_whsec(value: str) -> str | None:
    """The text form of a whsec secret, or None if its bytes are not safe printable ASCII."""
    try:
        raw = base64.b64decode(value.removeprefix("whsec_") + "==", validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text and set(text) <= PRINTABLE else None


def new_secret_pair() -> tuple[str, str]:
    key = secrets.token_urlsafe(32)
    return key, "whsec_" + base64.b64encode(key.encode("ascii")).decode("ascii")


class Command(BaseCommand):
    help = "Generate an N8N webhook secret pair, or --check that N8N_WEBHOOK_SECRET works with n8n's Crypto node."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="check the configured N8N_WEBHOOK_SECRET")

    def handle(self, *args, check: bool = False, **options):
        if check:
            configured = settings.N8N_WEBHOOK_SECRET
            if not configured:
                raise CommandError("N8N_WEBHOOK_SECRET is not set")
            if signing_key_from_whsec(configured) is None:
                raise CommandError(
                    "N8N_WEBHOOK_SECRET does not decode to printable ASCII, so n8n's Crypto node cannot use it; "
                    "generate a new pair with this command"
                )
            self.stdout.write(self.style.SUCCESS("N8N_WEBHOOK_SECRET is usable by n8n's Crypto node."))
            return
        key, whsec = new_secret_pair()
        self.stdout.write("Put these in the two places (never in code or logs):")
        self.stdout.write(f"  API (.env):         N8N_WEBHOOK_SECRET={whsec}")
        self.stdout.write(f"  n8n (environment):  YTEMPIRE_WEBHOOK_SIGNING_KEY={key}")
