"""Webhook receivers (N8N, Stripe) and the billing endpoints. Thin: verify, call a service, render."""

import json

import stripe
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.exceptions import ApplicationError, AuthenticationError, ServiceUnavailableError
from ytempire.core.openapi import DetailErrorSchema, error_responses

from .handlers import N8N_COST_ALERT, N8N_HANDLERS, N8N_PROGRESS, N8N_VIDEO_COMPLETE
from .models import WebhookSource
from .selectors import billing_subscription_get
from .serializers import (
    BillingCheckoutInputSerializer,
    BillingCheckoutOutputSerializer,
    BillingPortalOutputSerializer,
    BillingSubscriptionOutputSerializer,
    N8NCostAlertInputSerializer,
    N8NCostAlertOutputSerializer,
    N8NProgressInputSerializer,
    N8NProgressOutputSerializer,
    N8NVideoCompleteInputSerializer,
    N8NVideoCompleteOutputSerializer,
    StripeWebhookOutputSerializer,
)
from .services.billing import billing_checkout_create, billing_portal_create, stripe_event_apply
from .services.events import webhook_log_refusal, webhook_receive
from .services.n8n import WebhookBodyError, n8n_verify

STANDARD_WEBHOOK_HEADERS = [
    OpenApiParameter("webhook-id", str, OpenApiParameter.HEADER, required=True, description="Idempotency key"),
    OpenApiParameter("webhook-timestamp", str, OpenApiParameter.HEADER, required=True, description="Unix seconds"),
    OpenApiParameter(
        "webhook-signature",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description='Space-separated "v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>"',
    ),
]


PROVIDER_REFUSED = {502: OpenApiResponse(DetailErrorSchema, description="Stripe refused the request")}
UNPROCESSABLE = {422: OpenApiResponse(DetailErrorSchema, description="Event cannot be applied (e.g. unknown price)")}


class PayloadTooLargeError(ApplicationError):
    status_code = 413
    default_message = "Payload too large"


def _max_body_bytes() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", 256 * 1024))


def _json_or_none(body: bytes):
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:2000].decode("utf-8", "replace") if body else None
    return value if isinstance(value, dict) else {"_body": value}


class _WebhookView(APIView):
    """Unauthenticated by session/JWT: the signature over the raw body is the authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # n8n and Stripe send bursts from one address
    source: str = ""
    event_type: str = ""

    def read_body(self, request) -> bytes:
        """The raw body, refused with 413 over WEBHOOK_MAX_BODY_BYTES (declared length, then actual)."""
        limit = _max_body_bytes()
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            declared_bytes = int(declared)
        except ValueError:
            declared_bytes = 0
        if declared_bytes > limit:
            self._too_large(declared_bytes, limit)
        body = request.body
        if len(body) > limit:
            self._too_large(len(body), limit)
        return body

    def _too_large(self, size: int, limit: int):
        message = f"Payload too large: {size} bytes (limit {limit})"
        webhook_log_refusal(
            source=self.source, event_type=self.event_type, error=message, status_code=413, body_bytes=size
        )
        raise PayloadTooLargeError(message)


class _N8NWebhookView(_WebhookView):
    source = WebhookSource.N8N

    def post(self, request):
        body = self.read_body(request)
        event_id = request.headers.get("webhook-id", "")
        try:
            payload = n8n_verify(body=body, headers=request.headers)
        except ApplicationError as exc:
            webhook_log_refusal(
                source=self.source,
                event_type=self.event_type,
                event_id=event_id,
                error=exc.message,
                status_code=exc.status_code,
                payload=_json_or_none(body),
                body_bytes=len(body),
                signature_valid=isinstance(exc, WebhookBodyError),
            )
            raise
        outcome = webhook_receive(
            source=self.source,
            event_id=event_id,
            event_type=self.event_type,
            payload=payload,
            handler=N8N_HANDLERS[self.event_type],
            body_bytes=len(body),
        )
        return Response(outcome.response if outcome.duplicate else {**outcome.response, "duplicate": False})


class N8NVideoCompleteView(_N8NWebhookView):
    event_type = N8N_VIDEO_COMPLETE

    @extend_schema(
        summary="N8N: render finished (completed or failed)",
        description="Standard Webhooks signature over the raw body; the webhook-id makes it idempotent "
        "(a replay answers 200 with duplicate=true).",
        parameters=STANDARD_WEBHOOK_HEADERS,
        request=N8NVideoCompleteInputSerializer,
        responses={200: N8NVideoCompleteOutputSerializer, **error_responses(400, 401, 404, 409, 413, 503)},
        tags=["Webhooks"],
        auth=[],
    )
    def post(self, request):
        return super().post(request)


class N8NProgressView(_N8NWebhookView):
    event_type = N8N_PROGRESS

    @extend_schema(
        summary="N8N: render progress (step and percent)",
        parameters=STANDARD_WEBHOOK_HEADERS,
        request=N8NProgressInputSerializer,
        responses={200: N8NProgressOutputSerializer, **error_responses(400, 401, 404, 413, 503)},
        tags=["Webhooks"],
        auth=[],
    )
    def post(self, request):
        return super().post(request)


class N8NCostAlertView(_N8NWebhookView):
    event_type = N8N_COST_ALERT

    @extend_schema(
        summary="N8N: may the workflow keep spending on this video?",
        description='Answers {"action": "STOP"|"CONTINUE", "reason"} from the costs ledger and budgets.',
        parameters=STANDARD_WEBHOOK_HEADERS,
        request=N8NCostAlertInputSerializer,
        responses={200: N8NCostAlertOutputSerializer, **error_responses(400, 401, 404, 409, 413, 503)},
        tags=["Webhooks"],
        auth=[],
    )
    def post(self, request):
        return super().post(request)


class StripeWebhookView(_WebhookView):
    source = WebhookSource.STRIPE
    event_type = ""

    @extend_schema(
        summary="Stripe: subscription and checkout events",
        description="Verified with stripe.Webhook.construct_event and STRIPE_WEBHOOK_SECRET; idempotent by event id.",
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=True)],
        request={"application/json": dict},
        responses={
            200: StripeWebhookOutputSerializer,
            **error_responses(400, 401, 404, 409, 413, 503),
            **UNPROCESSABLE,
        },
        tags=["Webhooks"],
        auth=[],
    )
    def post(self, request):
        body = self.read_body(request)
        secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
        try:
            if not secret:
                raise ServiceUnavailableError("Stripe webhook secret is not configured")
            try:
                event = stripe.Webhook.construct_event(
                    body, request.headers.get("Stripe-Signature"), secret, tolerance=settings.WEBHOOK_TOLERANCE_SECONDS
                )
            except stripe.SignatureVerificationError as exc:
                raise AuthenticationError(f"Invalid Stripe signature: {exc.user_message or exc}") from None
            except (ValueError, UnicodeDecodeError):
                raise WebhookBodyError("Malformed JSON body") from None
        except ApplicationError as exc:
            parsed = _json_or_none(body)
            webhook_log_refusal(
                source=self.source,
                event_id=str(parsed.get("id", "")) if isinstance(parsed, dict) else "",
                event_type=str(parsed.get("type", "")) if isinstance(parsed, dict) else "",
                error=exc.message,
                status_code=exc.status_code,
                payload=parsed,
                body_bytes=len(body),
            )
            raise
        outcome = webhook_receive(
            source=self.source,
            event_id=str(event.id),
            event_type=str(event.type),
            payload=json.loads(body),
            handler=stripe_event_apply,
            body_bytes=len(body),
        )
        return Response(outcome.response if outcome.duplicate else {**outcome.response, "duplicate": False})


# --- Billing -----------------------------------------------------------------------------


class BillingCheckoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start a Stripe Checkout for a paid tier",
        request=BillingCheckoutInputSerializer,
        responses={
            200: BillingCheckoutOutputSerializer,
            **error_responses(400, 401, 409, 429, 503),
            **PROVIDER_REFUSED,
        },
        tags=["Billing"],
    )
    def post(self, request):
        serializer = BillingCheckoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = billing_checkout_create(user=request.user, tier=serializer.validated_data["tier"])
        return Response(BillingCheckoutOutputSerializer(result).data)


class BillingPortalView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Open the Stripe Customer Portal",
        request=None,
        responses={200: BillingPortalOutputSerializer, **error_responses(401, 409, 429, 503), **PROVIDER_REFUSED},
        tags=["Billing"],
    )
    def post(self, request):
        return Response(BillingPortalOutputSerializer(billing_portal_create(user=request.user)).data)


class BillingSubscriptionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The caller's plan, limits and subscription",
        responses={200: BillingSubscriptionOutputSerializer, **error_responses(401, 429)},
        tags=["Billing"],
    )
    def get(self, request):
        return Response(BillingSubscriptionOutputSerializer(billing_subscription_get(user=request.user)).data)
