"""Demo channels for `make run` (called by the bootstrap_demo command)."""

from .models import Channel, ChannelStatus

# "connect": the videos demo binds it to its own sandbox YouTube account (it becomes active then);
# Money Minutes stays unconnected so the connect flow can be tried (SANDBOX consent page).
DEMO_CHANNELS = [
    # No upload time: its videos publish as soon as they are ready (the demo shows one within a minute).
    {
        "name": "Tech Reviews",
        "niche": "Technology",
        "status": ChannelStatus.PENDING_OAUTH,
        "upload_time_utc": "",
        "connect": True,
    },
    {
        "name": "Kitchen Shortcuts",
        "niche": "Cooking",
        "status": ChannelStatus.PENDING_OAUTH,
        "upload_time_utc": "17:30",
        "connect": True,
    },
    {"name": "Money Minutes", "niche": "Finance", "status": ChannelStatus.PENDING_OAUTH, "upload_time_utc": ""},
    {
        "name": "Travel Diaries",
        "niche": "Travel",
        "status": ChannelStatus.PAUSED,
        "upload_time_utc": "09:00",
        "automation_enabled": False,
    },
]


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: channels are matched by (owner, name). The channels to connect are bound to their
    sandbox YouTube accounts by the videos demo (binding is a publishing workflow)."""
    created = 0
    for spec in DEMO_CHANNELS:
        _, was_created = Channel.objects.get_or_create(
            user=customer,
            name=spec["name"],
            defaults={
                "niche": spec["niche"],
                "status": spec["status"],
                "upload_time_utc": spec["upload_time_utc"],
                "automation_enabled": spec.get("automation_enabled", True),
                "daily_video_limit": 10,
                "metadata": {"demo": True, "demo_connect": spec.get("connect", False)},
            },
        )
        created += was_created
    total = Channel.objects.filter(user=customer).count()
    return f"{total} demo channels for {customer.email} ({created} new)"
