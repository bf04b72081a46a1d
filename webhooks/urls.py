from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        r"^webhooks/n8n/video-complete/?$", views.N8NVideoCompleteView.as_view(), name="webhook-n8n-video-complete"
    ),
    re_path(r"^webhooks/n8n/progress/?$", views.N8NProgressView.as_view(), name="webhook-n8n-progress"),
    re_path(r"^webhooks/n8n/cost-alert/?$", views.N8NCostAlertView.as_view(), name="webhook-n8n-cost-alert"),
    re_path(r"^webhooks/stripe/?$", views.StripeWebhookView.as_view(), name="webhook-stripe"),
]
