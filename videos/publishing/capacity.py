"""What the platform can still publish today: per Google project its buckets, per bound channel
the uploads its own account can still take. Automation and the capacity page read this."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from youtube_pool.selectors import account_capacity_rows, project_capacity_rows

from ..models import ACTIVE_STATUSES, Video


@dataclass(frozen=True)
class ChannelUploadCapacity:
    """``room``: channel id -> uploads it can still publish today; ``accounts``: the capacity rows
    of the bound channels' accounts; ``projects``: every project's capacity row. One snapshot."""

    room: dict
    accounts: list[dict]
    projects: list[dict]


def channel_upload_room(*, channel_ids, now: datetime | None = None) -> dict:
    """For each channel id: how many more videos it can publish today — its account's uploads left,
    minus its videos already on their way, shared fairly with the other channels on the same Google
    project (whose upload bucket they all spend). Unbound channels get 0. Four queries."""
    return channel_upload_capacity(channel_ids=channel_ids, now=now).room


def channel_upload_capacity(*, channel_ids, now: datetime | None = None) -> ChannelUploadCapacity:
    """``channel_upload_room`` with the account and project rows it was computed from (callers
    that show them need not read them again). Four queries."""
    now = now or timezone.now()
    bound = dict(
        Channel.objects.filter(pk__in=list(channel_ids), youtube_account_id__isnull=False).values_list(
            "pk", "youtube_account_id"
        )
    )
    accounts = account_capacity_rows(account_ids=list(bound.values()), now=now)
    rows = {row["id"]: row for row in accounts}
    in_flight = dict(
        Video.objects.filter(channel_id__in=list(bound), status__in=ACTIVE_STATUSES)
        .values_list("channel_id")
        .annotate(n=Count("id"))
    )
    project_rows = project_capacity_rows(now=now)
    projects = {row["id"]: row["uploads_left"] for row in project_rows}
    room: dict = dict.fromkeys(channel_ids, 0)
    for channel_id, account_id in sorted(bound.items(), key=lambda item: str(item[0])):
        row = rows.get(account_id)
        if row is None:
            continue
        left = max(0, row["uploads_left"] - in_flight.get(channel_id, 0))
        project_left = projects.get(row["project_id"], 0)
        granted = min(left, project_left)
        projects[row["project_id"]] = project_left - granted
        room[channel_id] = granted
    return ChannelUploadCapacity(room=room, accounts=accounts, projects=project_rows)


def publishing_capacity(*, now: datetime | None = None) -> dict:
    """The capacity page: projects (three buckets, next reset), each account with the channel it is
    bound to, and the uploads still possible today (per bound channel, capped by its project)."""
    now = now or timezone.now()
    accounts = account_capacity_rows(now=now)
    projects = project_capacity_rows(now=now)
    bindings = {
        account_id: {"id": str(pk), "name": name}
        for pk, name, account_id in Channel.objects.filter(youtube_account_id__isnull=False).values_list(
            "pk", "name", "youtube_account_id"
        )
    }
    left_by_project = {row["id"]: row["uploads_left"] for row in projects}
    possible_by_project: dict = dict.fromkeys(left_by_project, 0)
    for row in accounts:
        row["channel"] = bindings.get(row["id"])
        row["owner"] = "platform" if row["owner_id"] is None else "customer"
        if row["channel"] is not None and row["project_id"] in possible_by_project:
            possible_by_project[row["project_id"]] += row["uploads_left"]
    for row in projects:
        row["uploads_possible"] = min(possible_by_project.get(row["id"], 0), left_by_project[row["id"]])
    return {
        "uploads_possible_today": sum(row["uploads_possible"] for row in projects),
        "next_reset_at": projects[0]["next_reset_at"] if projects else None,
        "projects": projects,
        "accounts": accounts,
        "unbound_channels": Channel.objects.filter(youtube_account_id__isnull=True)
        .exclude(status=ChannelStatus.ARCHIVED)
        .count(),
    }
