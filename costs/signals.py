"""Bookkeeping receivers: keep the video's cost projection and the counters in step with the ledger,
and observe a video's final cost for the metrics."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from costs import metrics
from costs.models import ServiceRate, VideoCost
from costs.services import cost_ledger_entry_apply, rate_table_forget
from videos.models import FINAL_STATUSES, Video, VideoEvent


@receiver(post_save, sender=VideoCost, dispatch_uid="costs.ledger_entry_apply")
def ledger_entry_saved(sender, instance: VideoCost, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        cost_ledger_entry_apply(entry=instance)


@receiver(post_save, sender=VideoEvent, dispatch_uid="costs.observe_final_cost")
def video_event_saved(sender, instance: VideoEvent, created: bool, raw: bool = False, **kwargs) -> None:
    """Observe a video's cost once, when it reaches a final status."""
    if created and not raw and instance.to_status in FINAL_STATUSES and instance.from_status != instance.to_status:
        video_id = instance.video_id

        def observe() -> None:
            total = Video.objects.filter(pk=video_id).values_list("total_cost", flat=True).first()
            if total is not None:
                metrics.COST_PER_VIDEO.observe(metrics.exported(total))

        transaction.on_commit(observe)


@receiver(post_save, sender=ServiceRate, dispatch_uid="costs.rates_changed_saved")
@receiver(post_delete, sender=ServiceRate, dispatch_uid="costs.rates_changed_deleted")
def service_rate_changed(sender, **kwargs) -> None:
    """A price changed: drop the cached rate table now and again on commit (a reader between the
    two could cache the old prices)."""
    rate_table_forget()
    transaction.on_commit(rate_table_forget)
