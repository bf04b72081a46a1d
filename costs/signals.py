"""Bookkeeping receivers: keep the video projection, limits and counters in step with the ledger."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from costs.models import VideoCost
from videos.models import VideoEvent

FINAL_STATUSES = {"published", "failed", "cancelled"}


@receiver(post_save, sender=VideoCost, dispatch_uid="costs.ledger_entry_apply")
def ledger_entry_saved(sender, instance: VideoCost, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from costs.services import cost_ledger_entry_apply

        cost_ledger_entry_apply(entry=instance)


@receiver(post_save, sender=VideoEvent, dispatch_uid="costs.observe_final_cost")
def video_event_saved(sender, instance: VideoEvent, created: bool, raw: bool = False, **kwargs) -> None:
    """Observe a video's cost once, when it reaches a final status."""
    if created and not raw and instance.to_status in FINAL_STATUSES and instance.from_status != instance.to_status:
        from django.db import transaction

        from costs import metrics
        from videos.models import Video

        video_id = instance.video_id

        def observe() -> None:
            total = Video.objects.filter(pk=video_id).values_list("total_cost", flat=True).first()
            if total is not None:
                metrics.COST_PER_VIDEO.observe(metrics.exported(total))

        transaction.on_commit(observe)
