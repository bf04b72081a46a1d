"""The billing endpoints (JWT). Thin: validate, call a service or selector, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.openapi import DetailErrorSchema, error_responses

from .selectors import billing_subscription_get
from .serializers import (
    BillingCheckoutInputSerializer,
    BillingCheckoutOutputSerializer,
    BillingPortalOutputSerializer,
    BillingSubscriptionOutputSerializer,
)
from .services import billing_checkout_create, billing_portal_create

PROVIDER_REFUSED = {502: OpenApiResponse(DetailErrorSchema, description="Stripe refused the request")}


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
