from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        r"^webhooks/n8n/video-complete/?$", views.N8NVideoCompleteView.as_view(), name="webhook-n8n-video-complete"
    ),
    re_path(r"^webhooks/n8n/progress/?$", views.N8NProgressView.as_view(), name="webhook-n8n-progress"),
    re_path(r"^webhooks/n8n/cost-alert/?$", views.N8NCostAlertView.as_view(), name="webhook-n8n-cost-alert"),
    re_path(r"^webhooks/stripe/?$", views.StripeWebhookView.as_view(), name="webhook-stripe"),
    re_path(r"^billing/checkout/?$", views.BillingCheckoutView.as_view(), name="billing-checkout"),
    re_path(r"^billing/portal/?$", views.BillingPortalView.as_view(), name="billing-portal"),
    re_path(r"^billing/subscription/?$", views.BillingSubscriptionView.as_view(), name="billing-subscription"),
]
