"""``manage.py simulate_day``: a compressed platform day against the real stack, with faults (issue 15).

The command parses the options and runs the simulation's coordinator in a subprocess with the
simulation's settings (its own database and Redis; the command's own settings do not matter), then
prints the report's table. Exit status 1 when a must fails. See ``ytempire/ops/simulation``.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ytempire.ops.simulation.faults import FaultConfig
from ytempire.ops.simulation.harness import DEFAULT_DATABASE_URL, Config
from ytempire.ops.simulation.table import render_table


def seconds(raw: str) -> float | None:
    """``120s``, ``2m``, ``30`` -> seconds; ``0``/``off`` -> None (the fault is off)."""
    text = str(raw).strip().lower()
    if text in ("0", "off", "none", "no"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|m|ms)?", text)
    if not match:
        raise ValueError(f"not a duration: {raw!r} (e.g. 120s, 2m)")
    value = float(match.group(1))
    return {"ms": value / 1000, "m": value * 60}.get(match.group(2) or "s", value)


class Command(BaseCommand):
    help = "Simulate a compressed platform day (real PostgreSQL, Redis, Celery, fakes) and report the key metrics."

    def add_arguments(self, parser):
        parser.add_argument("--channels", type=int, default=500)
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--accounts", type=int, default=15)
        parser.add_argument("--projects", type=int, default=2)
        parser.add_argument("--videos-per-day", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--hours", type=float, default=24.0, help="simulated hours of queueing (default 24)")
        parser.add_argument(
            "--start",
            default="auto",
            help="simulated start (ISO, UTC); auto: today's UTC midnight, or a "
            "window centred on today's Pacific midnight when --hours < 24",
        )
        parser.add_argument(
            "--day-seconds", type=float, default=300.0, help="real seconds for 24 simulated hours (default 300: x288)"
        )
        parser.add_argument("--drain-hours", type=float, default=3.0, help="longest simulated drain after the window")
        parser.add_argument("--worker-concurrency", type=int, default=4)
        parser.add_argument(
            "--estimate-min-samples",
            type=int,
            default=8,
            help="COST_ESTIMATE_MIN_SAMPLES in the simulated world (default 8: a day has ~20 videos per level)",
        )
        parser.add_argument("--database-url", default=os.environ.get("SIM_DATABASE_URL", DEFAULT_DATABASE_URL))
        parser.add_argument("--output-dir", default=str(Path(settings.BASE_DIR) / "var" / "simulations"))
        parser.add_argument("--json", dest="report_path", default="", help="where to write the JSON report")
        parser.add_argument("--keep-media", action="store_true")
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument(
            "--log-level", default="WARNING", help="the app processes' log level (their logs are in the run folder)"
        )
        faults = parser.add_argument_group("faults (all on by default)")
        faults.add_argument("--transient-error-rate", type=float, default=0.05)
        faults.add_argument("--revoke-account", type=int, default=1, help="accounts whose grant is revoked mid-day")
        faults.add_argument("--exhaust-project", action=_Toggle, default=True)
        faults.add_argument("--upload-cap-surprise", action=_Toggle, default=True)
        faults.add_argument("--surprise-cap", type=int, default=None, help="the surprised channel's real daily cap")
        faults.add_argument("--kill-worker-every", default="120s", help="real time between SIGKILLs (0: off)")
        faults.add_argument("--redis-outage", default="30s", help="real length of the Redis outage (0: off)")
        faults.add_argument(
            "--redis-outage-at", type=float, default=0.45, help="when the outage starts (share of the window)"
        )
        faults.add_argument("--n8n-silence-rate", type=float, default=0.02)
        faults.add_argument("--n8n-duplicate-rate", type=float, default=0.05)
        faults.add_argument(
            "--every-fault-once", action=_Toggle, default=True, help="the first chance of each fault takes it"
        )
        faults.add_argument("--no-faults", action="store_true", help="switch every fault off")

    def handle(self, *args, **options):
        try:
            kill_every, outage = seconds(options["kill_worker_every"]), seconds(options["redis_outage"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        fault_config = FaultConfig(
            transient_error_rate=options["transient_error_rate"],
            revoke_accounts=options["revoke_account"],
            exhaust_project=options["exhaust_project"],
            upload_cap_surprise=options["upload_cap_surprise"],
            surprise_cap=options["surprise_cap"],
            kill_worker_every=kill_every,
            redis_outage=outage,
            redis_outage_at=options["redis_outage_at"],
            n8n_silence_rate=options["n8n_silence_rate"],
            n8n_duplicate_rate=options["n8n_duplicate_rate"],
            every_fault_once=options["every_fault_once"],
        )
        if options["no_faults"]:
            fault_config = FaultConfig(
                transient_error_rate=0,
                revoke_accounts=0,
                exhaust_project=False,
                upload_cap_surprise=False,
                kill_worker_every=None,
                redis_outage=None,
                n8n_silence_rate=0,
                n8n_duplicate_rate=0,
            )
        output = Path(options["output_dir"])
        report_path = options["report_path"]
        config = Config(
            channels=options["channels"],
            users=options["users"],
            accounts=options["accounts"],
            projects=options["projects"],
            videos_per_day=options["videos_per_day"],
            seed=options["seed"],
            hours=options["hours"],
            start=options["start"],
            day_seconds=options["day_seconds"],
            drain_hours=options["drain_hours"],
            worker_concurrency=options["worker_concurrency"],
            estimate_min_samples=options["estimate_min_samples"],
            database_url=options["database_url"],
            output_dir=str(output),
            report_path=report_path,
            keep_media=options["keep_media"],
            quiet=options["quiet"],
            log_level=options["log_level"],
            faults=fault_config,
        )
        if config.channels < 1 or config.users < 1 or config.accounts < 1 or config.projects < 1:
            raise CommandError("--channels, --users, --accounts and --projects must be at least 1")
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=output, delete=False) as fh:
            fh.write(json.dumps(asdict(config)))
            config_file = fh.name
        if not report_path:
            config.report_path = report_path = str(output / "latest.json")
            Path(config_file).write_text(json.dumps(asdict(config)))
        env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        try:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "ytempire.ops.simulation.harness", config_file],
                cwd=settings.BASE_DIR,
                env=env,
                check=False,
            )
        finally:
            Path(config_file).unlink(missing_ok=True)
        if completed.returncode != 0 or not Path(report_path).exists():
            raise CommandError(f"the simulation stopped with status {completed.returncode} (see {output}/runs/)")
        report = json.loads(Path(report_path).read_text())
        self.stdout.write(render_table(report))
        self.stdout.write(f"\nJSON: {report_path} (and {output}/{report['run']['id']}.json)")
        if not report["all_musts_hold"]:
            failed = [name for name, ok in report["musts"].items() if not ok]
            raise CommandError(f"musts failed: {', '.join(failed)}")


class _Toggle:
    """``--flag`` / ``--no-flag`` (argparse.BooleanOptionalAction, as a class Django's parser accepts)."""

    def __new__(cls, *args, **kwargs):
        import argparse

        return argparse.BooleanOptionalAction(*args, **kwargs)
