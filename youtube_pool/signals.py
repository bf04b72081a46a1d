"""Domain events of the YouTube pool, for the apps above it (youtube_pool never imports them).

``account_state_changed`` is sent (``send``, not ``send_robust``) inside the transaction of the
service that changed an account's state, so a receiver's writes commit or roll back with it:

- sender: ``YouTubeAccount``
- ``account_id``: the account's primary key (UUID)
- ``state``: the account's state after the change, one of ``ACCOUNT_STATES``
  ("ok", "resting", "needs_reconnect", "deactivated")
- ``reason``: a short sentence safe to show the channel's owner (no email, token or path)

Sent by: invalid_grant/401 (needs_reconnect), uploadLimitExceeded or a staff rest (resting), the end
of a rest (staff, or the health sweep once it has passed), staff deactivation/reactivation, too many
consecutive errors (deactivated), connecting or reconnecting through OAuth, and revoking (deactivated).
"""

from django.dispatch import Signal

ACCOUNT_STATES = ("ok", "resting", "needs_reconnect", "deactivated")

account_state_changed = Signal()
