"""Thin Celery tasks of the costs app, and the worker start-up hook that rebuilds the counters."""

import logging

from celery import shared_task
from celery.signals import worker_ready

from costs.services import cost_estimates_calibrate, cost_expire_holds, counters_rebuild
from costs.services.counters import CountersUnavailableError, redis_configured

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def counters_rebuild_task(self) -> dict:
    if not redis_configured():
        return {"videos": 0, "holds": 0}
    try:
        summary = counters_rebuild()
    except CountersUnavailableError as exc:
        # Redis is down: reservations enforce through the database meanwhile; try again later.
        raise self.retry(exc=exc, countdown=30) from exc
    return {"videos": summary["videos"], "holds": summary["holds"]}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def cost_expire_holds_task(self) -> int:
    return cost_expire_holds()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def cost_estimates_calibrate_task(self) -> dict:
    return cost_estimates_calibrate()


@worker_ready.connect(dispatch_uid="costs.rebuild_counters_on_worker_ready")
def rebuild_counters_on_worker_ready(sender=None, **kwargs) -> None:
    """A starting worker rebuilds the Redis counters from the ledger (never blocks start-up)."""
    if not redis_configured():
        return
    try:
        summary = counters_rebuild()
        logger.info("cost counters rebuilt", extra={"videos": summary["videos"], "holds": summary["holds"]})
    except Exception as exc:  # start-up must not fail because Redis or the database is slow
        logger.warning("cost counters not rebuilt at worker start", extra={"error": exc.__class__.__name__})
