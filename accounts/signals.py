"""Domain events of accounts. Higher apps connect receivers in their AppConfig.ready().

Both are sent from the accounts service that makes the change, inside its transaction: a receiver
runs in the same transaction, and if it raises, the change is rolled back with it.
"""

from django.dispatch import Signal

# A user's tier changed (``accounts.services.user_set_tier``), whoever asked: Stripe billing, the
# admin, the ``set_tier`` command. sender=User; kwargs: ``user`` (the User, already saved with the
# new tier and its limits), ``old_tier``, ``new_tier`` (Tier values). Not sent when the tier stays.
tier_changed = Signal()
