"""The user admin: state fields are read-only; staff change them through actions that call services."""

import pytest
from django.test import Client

from accounts.models import RefreshTokenFamily, User
from accounts.signals import tier_changed
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def _action(client, action, users):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(u.pk) for u in users]}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _login(api_client, user, password=DEFAULT_PASSWORD):
    return api_client.post("/api/v1/auth/login", {"email": user.email, "password": password}, format="json")


def test_admin_deactivation_revokes_tokens(client, staff_user, api_client):
    customer = UserFactory()
    tokens = api_client.post(
        "/api/v1/auth/login", {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    client.force_login(staff_user)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [str(customer.pk)]},
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_active is False
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401


def test_set_tier_action_goes_through_user_set_tier(staff_client):
    customers = [UserFactory(tier="free"), UserFactory(tier="growth")]
    events = []

    def record(sender, **kwargs):
        events.append((kwargs["user"].pk, kwargs["old_tier"], kwargs["new_tier"]))

    tier_changed.connect(record, weak=False, dispatch_uid="test-admin-tier")
    try:
        response = _action(staff_client, "set_tier_starter", customers)
    finally:
        tier_changed.disconnect(dispatch_uid="test-admin-tier")

    assert response.status_code == 200
    assert "Set tier Starter on 2 user(s)." in _messages(response)
    for customer in customers:
        customer.refresh_from_db()
        assert (customer.tier, customer.channel_limit, customer.daily_video_limit) == ("starter", 5, 25)
    assert sorted(events) == sorted([(customers[0].pk, "free", "starter"), (customers[1].pk, "growth", "starter")])


def test_the_changelist_offers_one_set_tier_action_per_tier(staff_client):
    response = staff_client.get(CHANGELIST)

    html = response.content.decode()
    for value, label in (("free", "Free"), ("starter", "Starter"), ("growth", "Growth"), ("scale", "Scale")):
        assert f'value="set_tier_{value}"' in html
        assert f"Set tier: {label}" in html
    for action in ("deactivate_users", "reactivate_users", "revoke_tokens"):
        assert f'value="{action}"' in html


def test_reactivate_action_lets_the_user_log_in_again(staff_client, api_client):
    customer = UserFactory()
    _action(staff_client, "deactivate_users", [customer])
    assert _login(api_client, customer).status_code == 401

    response = _action(staff_client, "reactivate_users", [customer])

    assert "Reactivated 1 user(s)." in _messages(response)
    customer.refresh_from_db()
    assert customer.is_active is True
    assert _login(api_client, customer).status_code == 200


def test_revoke_tokens_action_revokes_access_and_refresh_tokens(staff_client, api_client):
    customer = UserFactory()
    tokens = _login(api_client, customer).json()

    response = _action(staff_client, "revoke_tokens", [customer])

    assert "Revoked the tokens of 1 user(s)." in _messages(response)
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401
    refresh = api_client.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401
    assert RefreshTokenFamily.objects.get(user=customer).revoked_reason.startswith("revoked by staff")


def test_change_form_shows_state_fields_read_only_and_saves_only_changed_fields(staff_client):
    customer = UserFactory(tier="free", full_name="Old name")
    url = f"/admin/accounts/user/{customer.pk}/change/"
    form = staff_client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    for field in ("tier", "channel_limit", "daily_video_limit", "is_active"):
        assert f'name="{field}"' not in html, field
    assert 'name="full_name"' in html
    # Stripe moves the user to growth while the form is open.
    User.objects.filter(pk=customer.pk).update(tier="growth", channel_limit=25, daily_video_limit=100)

    response = staff_client.post(
        url,
        {
            "email": customer.email,
            "full_name": "New name",
            "role": "user",
            # read-only: ignored even when posted
            "tier": "scale",
            "channel_limit": "999",
            "daily_video_limit": "999",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    customer.refresh_from_db()
    assert customer.full_name == "New name"
    assert (customer.tier, customer.channel_limit, customer.daily_video_limit) == ("growth", 25, 100)
    assert customer.is_active is True


def test_add_form_creates_the_user_with_the_limits_of_the_chosen_tier(staff_client, api_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Customer@Example.com",
            "full_name": "New Customer",
            "tier": "growth",
            "role": "user",
            "password1": "a-very-good-passphrase-42",
            "password2": "a-very-good-passphrase-42",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(email="new.customer@example.com")
    assert (created.tier, created.channel_limit, created.daily_video_limit) == ("growth", 25, 100)
    assert response["Location"].endswith(f"/admin/accounts/user/{created.pk}/change/")
    assert _login(api_client, created, "a-very-good-passphrase-42").status_code == 200


def test_add_form_refuses_an_email_that_differs_only_in_case(staff_client):
    UserFactory(email="taken@example.com")

    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Taken@Example.com",
            "tier": "free",
            "role": "user",
            "password1": "a-very-good-passphrase-42",
            "password2": "a-very-good-passphrase-42",
        },
    )

    assert response.status_code == 200
    assert "A user with this email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_setting_a_password_in_the_admin_revokes_the_users_tokens(staff_client, api_client):
    customer = UserFactory()
    tokens = _login(api_client, customer).json()

    response = staff_client.post(
        f"/admin/accounts/user/{customer.pk}/password/",
        {"usable_password": "true", "password1": "a-brand-new-passphrase-7", "password2": "a-brand-new-passphrase-7"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    me = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401
    assert _login(api_client, customer).status_code == 401
    assert _login(api_client, customer, "a-brand-new-passphrase-7").status_code == 200
