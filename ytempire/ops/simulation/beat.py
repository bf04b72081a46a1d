"""``python -m ytempire.ops.simulation.beat``: the production celery beat (database scheduler, the
schedules of ``ytempire/schedules.py``), following the simulated clock and waking often: its
sleeps are real seconds, its schedules simulated ones."""

import sys


def main() -> None:
    from .clock import follow_from_environment

    follow_from_environment()
    from celery import signals
    from celery.bin.celery import main as celery_main

    from .instrument import mark_ready

    signals.beat_init.connect(lambda **kwargs: mark_ready("beat"), weak=False)
    sys.argv = [
        "celery",
        "-A",
        "ytempire",
        "beat",
        "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
        "--loglevel=WARNING",
        "--pidfile=",
        *sys.argv[1:],
    ]
    sys.exit(celery_main())


if __name__ == "__main__":
    main()
