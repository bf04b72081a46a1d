import datetime as dt

import factory
from django.utils import timezone

from youtube_pool import crypto
from youtube_pool.models import GoogleProject, YouTubeAccount


class GoogleProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoogleProject

    name = factory.Sequence(lambda n: f"project-{n}")
    client_id = factory.Sequence(lambda n: f"client-{n}.apps.googleusercontent.com")
    client_secret_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt_text(f"secret-{o.client_id}"))


class YouTubeAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YouTubeAccount

    project = factory.SubFactory(GoogleProjectFactory)
    email = factory.Sequence(lambda n: f"channel{n}@example.com")
    channel_id = factory.Sequence(lambda n: f"UCfactory{n:014d}")
    channel_handle = factory.LazyAttribute(lambda o: "@" + (o.email or o.channel_id).split("@")[0])
    daily_upload_cap = factory.LazyAttribute(lambda o: 2 if o.is_reserve else 5)
    is_reserve = False
    credentials_encrypted = factory.LazyFunction(
        lambda: crypto.encrypt_json({"token": "ya29.factory", "refresh_token": "1//factory", "expiry": None})
    )
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=1))
