"""Publishing: a channel is one YouTube channel, bound to one account, and its videos go only there.

The seam between ``channels`` and ``youtube_pool`` (which do not know each other) lives here:

- ``binding``: customers connect their own channel by OAuth, staff bind the platform's accounts,
  a channel is disconnected, a platform channel fails over to a reserve account;
- ``destination``: the upload step books a slot on the channel's own account, or the video waits;
- ``capacity``: what each bound channel (and each Google project) can still upload today;
- ``summaries``: the ``youtube`` object of the channel API (registered with channels' port);
- ``receivers``: an account needing reconnection parks its channel's videos, a reconnect resumes them.
"""
