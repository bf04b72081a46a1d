"""Backfills and repairs run by staff commands, not by requests."""

from django.db import transaction
from django.db.models import Sum

from costs.models import VideoCost
from videos.models import Video
from ytempire.core.money import ZERO, money


def video_costs_backfill(*, dry_run: bool = False, batch_size: int = 500, progress=None) -> dict:
    """Recompute every video's total_cost and cost_breakdown from the ledger.

    ``progress(done, total)`` is called after each batch. Returns counts of checked and
    changed videos; with ``dry_run`` nothing is written.
    """
    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    checked = changed = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        sums: dict = {}
        for video_id, service, total in (
            VideoCost.objects.filter(video_id__in=batch)
            .values("video_id", "service")
            .annotate(total=Sum("amount"))
            .values_list("video_id", "service", "total")
        ):
            sums.setdefault(video_id, {})[service] = money(total)
        with transaction.atomic():
            for video in (
                Video.objects.select_for_update().filter(pk__in=batch).only("pk", "total_cost", "cost_breakdown")
            ):
                breakdown = sums.get(video.pk, {})
                total = sum(breakdown.values(), ZERO)
                projected = {k: f"{v:.4f}" for k, v in sorted(breakdown.items())}
                checked += 1
                if video.total_cost != total or (video.cost_breakdown or {}) != projected:
                    changed += 1
                    if not dry_run:
                        Video.objects.filter(pk=video.pk).update(total_cost=total, cost_breakdown=projected)
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    return {"checked": checked, "changed": changed, "dry_run": dry_run}
