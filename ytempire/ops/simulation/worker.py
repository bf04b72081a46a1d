"""``python -m ytempire.ops.simulation.worker [celery worker options]``: the production Celery worker
(``celery -A ytempire worker``), following the simulated clock and measured (``instrument``)."""

import sys


def main() -> None:
    from .clock import follow_from_environment

    follower = follow_from_environment()
    from . import instrument

    instrument.install_worker(follower)
    from celery.bin.celery import main as celery_main

    sys.argv = ["celery", "-A", "ytempire", "worker", *sys.argv[1:]]
    sys.exit(celery_main())


if __name__ == "__main__":
    main()
