"""Bookkeeping: a saved user is forgotten by the identity cache (accounts.identity)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .identity import user_identity_forget
from .models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.identity_forget_on_save")
@receiver(post_delete, sender=User, dispatch_uid="accounts.identity_forget_on_delete")
def forget_identity(sender, instance: User, **kwargs) -> None:
    user_identity_forget(instance.pk)
