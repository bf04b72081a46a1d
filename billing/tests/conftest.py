import pytest

from billing.tests.fake_stripe import FakeStripe
from billing.tests.stripe_events import PRICES, STRIPE_KEY, configure_stripe, post_stripe_event


@pytest.fixture(autouse=True)
def _billing_settings(settings):
    configure_stripe(settings)


@pytest.fixture
def stripe_post(api_client):
    """POST a signed Stripe event: ``stripe_post(event, secret=..., timestamp=..., client=...)``."""

    def post(event: dict, *, client=None, **kwargs):
        return post_stripe_event(client or api_client, event, **kwargs)

    return post


@pytest.fixture
def customer(user):
    """A user already linked to the Stripe customer ``cus_test_1``."""
    user.stripe_customer_id = "cus_test_1"
    user.save(update_fields=["stripe_customer_id"])
    return user


@pytest.fixture
def fake_stripe(settings):
    server = FakeStripe(api_key=STRIPE_KEY, prices=set(PRICES.values())).start()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.stop()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
