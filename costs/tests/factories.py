from decimal import Decimal

import factory

from costs.models import ServiceRate
from videos.tests.factories import VideoFactory  # noqa: F401  (re-exported for the costs tests)


class ServiceRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRate
        django_get_or_create = ("service", "model")

    service = "openai"
    model = factory.Sequence(lambda n: f"model-{n}")
    unit = "1k_tokens"
    price = Decimal("0.0100")
