"""Prepare the embedded default for `make run`: a staff login, a customer login and demo data.

The logins are printed last, in a box: with ``--url`` (and ``--ready-dir``) only once the server
answers there (and the worker and beat have marked themselves ready), so nothing the starting
processes print buries them.
"""

import importlib
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_set_tier

DEMO_STAFF_EMAIL = "admin@ytempire.local"
DEMO_CUSTOMER_EMAIL = "demo@ytempire.local"
READY_PROCESSES = ("worker", "beat")


def _answers(url: str) -> bool:
    """Whether a server answers at ``url`` (any HTTP status: it is serving)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - the command's own http URL
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def box(lines: list[str]) -> str:
    width = max(len(line) for line in lines)
    rule = "─" * (width + 2)
    return "\n".join([f"┌{rule}┐", *(f"│ {line.ljust(width)} │" for line in lines), f"└{rule}┘"])


class Command(BaseCommand):
    help = "Create the demo staff and customer users and each app's demo data (its demo.py); print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="The served base URL: the logins are printed once its /health answers.")
        parser.add_argument(
            "--ready-dir", help="Also wait for the worker and beat to mark themselves ready here (YTEMPIRE_READY_DIR)."
        )
        parser.add_argument("--timeout", type=float, default=120, help="Seconds to wait for them (default 120).")

    def handle(self, *args, url: str | None = None, ready_dir: str | None = None, timeout: float = 120, **options):
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            staff, customer = self._users(password)
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                summary = module.create_demo_data(staff=staff, customer=customer)
                if summary:
                    label = "" if summary.startswith(f"{config.label}:") else f"{config.label}: "
                    self.stdout.write(f"  {label}{summary}")
        self.stdout.write("Demo data ready (offline sandbox providers).")
        notes = self._wait(url=url, ready_dir=ready_dir, timeout=timeout)
        self.stdout.write(self._logins(password, url=url, notes=notes))

    def _users(self, password: str) -> tuple[User, User]:
        staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(email=DEMO_STAFF_EMAIL, password=password, full_name="Demo Staff")
        else:
            staff.set_password(password)
            staff.save(update_fields=["password"])
        customer = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
        if customer is None:
            customer = User.objects.create_user(email=DEMO_CUSTOMER_EMAIL, password=password, full_name="Demo Customer")
            # Room to play: the Growth tier's channel and daily video limits.
            user_set_tier(user=customer, tier="growth")
        else:
            customer.set_password(password)
            customer.save(update_fields=["password"])
        return staff, customer

    def _wait(self, *, url: str | None, ready_dir: str | None, timeout: float) -> list[str]:
        """Wait until the server answers and the worker and beat are ready; what is still not."""
        pending: dict[str, Callable[[], bool]] = {}
        if url:
            health = f"{url.rstrip('/')}/health"
            pending[f"the server does not answer at {health}"] = lambda: _answers(health)
        if ready_dir:
            for name in READY_PROCESSES:
                pending[f"the {name} has not started"] = lambda name=name: (Path(ready_dir) / name).exists()
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            pending = {note: check for note, check in pending.items() if not check()}
            if pending:
                time.sleep(0.25)
        return [f"{note} after {timeout:.0f} s: see above" for note in pending]

    def _logins(self, password: str, *, url: str | None, notes: list[str]) -> str:
        base = url.rstrip("/") if url else None
        lines = [f"YTEMPIRE is running on {base}/" if base else "YTEMPIRE demo logins", ""]
        lines += [
            f"Admin (staff):  {base}/admin/" if base else "Admin (staff)",
            f"  {DEMO_STAFF_EMAIL} / {password}",
            f"API (customer): {base}/api/v1/docs" if base else "API (customer)",
            f"  {DEMO_CUSTOMER_EMAIL} / {password}",
        ]
        if base:
            lines += ["", "Worker and beat log at WARNING. Ctrl-C stops everything."]
        lines += [f"! {note}" for note in notes]
        return box(lines)
