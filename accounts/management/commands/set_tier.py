"""Move a user to a tier: `manage.py set_tier <email> <tier>` (limits follow; see user_set_tier)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tier, User
from accounts.services import normalize_email, user_set_tier


class Command(BaseCommand):
    help = (
        "Move a user to a tier. Their channel and daily video limits follow the tier, and channels over "
        "the new channel limit have automation paused (the same door as Stripe billing and the admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("tier", help=f"one of: {', '.join(Tier.values)}")

    def handle(self, *args, email: str, tier: str, **options):
        user = User.objects.filter(email__iexact=normalize_email(email)).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}.")
        old_tier = user.tier
        try:
            user = user_set_tier(user=user, tier=tier, actor="command set_tier")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.message_dict.get("tier", exc.messages))) from None
        if user.tier == old_tier:
            self.stdout.write(f"{user.email} is already on {user.tier}; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{user.email}: {old_tier} -> {user.tier} (channel limit {user.channel_limit}, "
                f"daily video limit {user.daily_video_limit})."
            )
        )
