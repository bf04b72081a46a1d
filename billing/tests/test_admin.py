"""The subscriptions admin: read-only, filters and search, and the re-sync action (a service)."""

import pytest
from django.urls import reverse

from billing.models import BillingSubscription

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:billing_billingsubscription_changelist"


def test_subscription_admin_lists_and_resyncs(staff_client, user):
    BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_1", status="active", tier="growth")
    url = reverse(CHANGELIST)
    assert staff_client.get(url).status_code == 200
    sub = BillingSubscription.objects.get()
    response = staff_client.post(url, {"action": "resync_tier", "_selected_action": [str(sub.pk)]}, follow=True)
    assert "tier growth" in response.content.decode()
    user.refresh_from_db()
    assert (user.tier, user.channel_limit, user.stripe_subscription_id) == ("growth", 25, "sub_1")


def test_subscription_admin_filters_and_searches(staff_client, user, other_user):
    BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_a", status="active", tier="growth")
    BillingSubscription.objects.create(
        user=other_user, stripe_subscription_id="sub_b", status="canceled", tier="starter"
    )
    url = reverse(CHANGELIST)

    active = staff_client.get(url, {"status__exact": "active"})
    assert active.status_code == 200
    assert [s.stripe_subscription_id for s in active.context["cl"].result_list] == ["sub_a"]

    found = staff_client.get(url, {"q": other_user.email})
    assert [s.stripe_subscription_id for s in found.context["cl"].result_list] == ["sub_b"]


def test_subscription_admin_is_read_only(staff_client, user):
    sub = BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_1", status="active", tier="growth")
    assert staff_client.get(reverse("admin:billing_billingsubscription_add")).status_code == 403
    detail = staff_client.get(reverse("admin:billing_billingsubscription_change", args=[sub.pk]))
    assert detail.status_code == 200  # viewable
    response = staff_client.post(
        reverse("admin:billing_billingsubscription_change", args=[sub.pk]), {"status": "canceled", "tier": "scale"}
    )
    assert response.status_code == 403
    sub.refresh_from_db()
    assert (sub.status, sub.tier) == ("active", "growth")
    assert staff_client.post(reverse("admin:billing_billingsubscription_delete", args=[sub.pk])).status_code == 403
