"""The ``youtube`` object of the channel API, supplied to channels through its port.

Only what a customer may see of their own binding: connected, the YouTube channel id and handle,
the account's state, uploads today and the cap — never an email, a token or another account.
"""

from youtube_pool.selectors import account_capacity_rows


def channel_youtube_summaries(channels) -> dict:
    """``{channel pk: {...}}`` for a page of channels, in one read of their accounts."""
    bound = {channel.pk: channel.youtube_account_id for channel in channels if channel.youtube_account_id}
    rows = {row["id"]: row for row in account_capacity_rows(account_ids=list(bound.values()))} if bound else {}
    summaries = {}
    for channel in channels:
        row = rows.get(channel.youtube_account_id)
        if row is None:
            continue
        summaries[channel.pk] = {
            "connected": True,
            "channel_id": channel.youtube_channel_id,
            "handle": channel.youtube_channel_handle,
            "account_state": row["state"],
            "uploads_today": row["uploads_today"],
            "upload_cap": row["daily_upload_cap"],
        }
    return summaries
