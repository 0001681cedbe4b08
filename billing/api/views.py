from django.conf import settings
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import plans, services
from billing.api import serializers
from billing.providers.stripe import PaymentProviderError
from config.api.errors import ApiError


class PlanListView(APIView):
    """The plans on sale, for the pricing page."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=serializers.PlanSerializer(many=True))
    def get(self, request):
        return Response(serializers.PlanSerializer(plans.plans_on_sale(), many=True).data)


@method_decorator(
    ratelimit(key="ip", rate=lambda group, request: settings.CHECKOUT_RATE_PER_IP, block=True), name="post"
)
class CheckoutSessionView(APIView):
    """Start buying a plan: returns the Stripe Checkout page to send the buyer to."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=serializers.CheckoutRequestSerializer, responses={201: serializers.CheckoutSessionSerializer}
    )
    def post(self, request):
        serializer = serializers.CheckoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            session = services.checkout_start(**serializer.validated_data)
        except PaymentProviderError as error:
            if error.permanent:
                raise ApiError(status.HTTP_400_BAD_REQUEST, "payment_provider_refused", str(error)) from error
            raise ApiError(status.HTTP_502_BAD_GATEWAY, "payment_provider_unavailable", str(error)) from error
        return Response(
            serializers.CheckoutSessionSerializer({"id": session.id, "url": session.url}).data,
            status=status.HTTP_201_CREATED,
        )
