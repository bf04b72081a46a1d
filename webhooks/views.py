"""Webhook receivers (N8N, Stripe). Thin: read the body (413), verify, receive, render."""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.exceptions import ApplicationError
from ytempire.core.openapi import DetailErrorSchema, error_responses

from .handlers import N8N_COST_ALERT, N8N_PROGRESS, N8N_VIDEO_COMPLETE, handler_for
from .models import WebhookSource
from .serializers import (
    N8NCostAlertInputSerializer,
    N8NCostAlertOutputSerializer,
    N8NProgressInputSerializer,
    N8NProgressOutputSerializer,
    N8NVideoCompleteInputSerializer,
    N8NVideoCompleteOutputSerializer,
    StripeWebhookOutputSerializer,
    money_rendered,
)
from .services.events import webhook_log_refusal, webhook_receive
from .storable import parsed_object_or_none
from .verification import STRIPE_SIGNATURE_HEADER, WebhookBodyError, n8n_verify, stripe_verify

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
UNPROCESSABLE = {422: OpenApiResponse(DetailErrorSchema, description="Event cannot be applied (e.g. unknown price)")}


class PayloadTooLargeError(ApplicationError):
    status_code = 413
    default_message = "Payload too large"


def _max_body_bytes() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", 256 * 1024))


class _WebhookView(APIView):
    """Unauthenticated by session/JWT: the signature over the raw body is the authentication."""

    # Every refusal (413, bad signature, unreadable body) is logged with a safe rendering of the
    # body before the error is answered; a verified delivery goes to ``webhook_receive``.

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # n8n and Stripe send bursts from one address
    raw_body = True  # the signature covers the exact bytes: no parser, no 415 (ytempire.core.openapi)
    source: str = ""
    event_type: str = ""
    output_serializer: type
    verify: Callable[..., dict[str, Any]]

    def ids(self, headers: Mapping[str, str], payload: dict | None) -> tuple[str, str]:
        """(event id, event type) of a delivery; ``payload`` is None when the body is unreadable."""
        raise NotImplementedError

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

    def post(self, request):
        body = self.read_body(request)
        try:
            payload = self.verify(body=body, headers=request.headers)
        except ApplicationError as exc:
            event_id, event_type = self.ids(request.headers, parsed_object_or_none(body))
            webhook_log_refusal(
                source=self.source,
                event_id=event_id,
                event_type=event_type,
                error=exc.message,
                status_code=exc.status_code,
                body=body,
                signature_valid=isinstance(exc, WebhookBodyError) and exc.signature_verified,
            )
            raise
        event_id, event_type = self.ids(request.headers, payload)
        outcome = webhook_receive(
            source=self.source,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            handler=handler_for(source=self.source, event_type=event_type),
            body_bytes=len(body),
        )
        answer = outcome.response if outcome.duplicate else {**outcome.response, "duplicate": False}
        return Response(money_rendered(answer, self.output_serializer))


class _N8NWebhookView(_WebhookView):
    source = WebhookSource.N8N
    verify = staticmethod(n8n_verify)

    def ids(self, headers, payload):
        return headers.get("webhook-id", ""), self.event_type


class N8NVideoCompleteView(_N8NWebhookView):
    event_type = N8N_VIDEO_COMPLETE
    output_serializer = N8NVideoCompleteOutputSerializer

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
    output_serializer = N8NProgressOutputSerializer

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
    output_serializer = N8NCostAlertOutputSerializer

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
    verify = staticmethod(stripe_verify)
    output_serializer = StripeWebhookOutputSerializer

    def ids(self, headers, payload):
        if payload is None:
            return "", ""
        return str(payload.get("id") or ""), str(payload.get("type") or "")

    @extend_schema(
        summary="Stripe: subscription and checkout events",
        description="Verified with stripe.Webhook.construct_event and STRIPE_WEBHOOK_SECRET; idempotent by event id.",
        parameters=[OpenApiParameter(STRIPE_SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True)],
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
        return super().post(request)
