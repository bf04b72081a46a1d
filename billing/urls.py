from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^billing/checkout/?$", views.BillingCheckoutView.as_view(), name="billing-checkout"),
    re_path(r"^billing/portal/?$", views.BillingPortalView.as_view(), name="billing-portal"),
    re_path(r"^billing/subscription/?$", views.BillingSubscriptionView.as_view(), name="billing-subscription"),
]
