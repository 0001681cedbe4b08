"""Signing in from the single-page app: ask for a magic link, spend it, read or end the session.

The app works with the session cookie: it first reads ``session/``, which
sets Django's CSRF cookie, then sends that token in the ``X-CSRFToken``
header with every write, the link's confirmation included. Signing in
rotates the token, so the app reads the cookie again afterwards.
"""

from django.contrib.auth import login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, tasks
from accounts.api.serializers import UserSerializer
from accounts.views import magic_link_request_limited
from config.api.errors import ApiError

LINK_SENT = "If this email belongs to a Bizbox account, a sign-in link is on its way."
LINK_INVALID = "This sign-in link has expired, was already used or is incomplete; ask for a new one."


class MagicLinkRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class MagicLinkRequestedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MagicLinkConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512, help_text="The `sesame` parameter of the emailed link.")


class SessionSerializer(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = UserSerializer(allow_null=True)


class AuthErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class AuthErrorSerializer(serializers.Serializer):
    error = AuthErrorDetailSerializer()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=AuthErrorSerializer, description=description)


def _session_payload(request: Request) -> dict:
    user = request.user if request.user.is_authenticated else None
    return SessionSerializer({"authenticated": user is not None, "user": user}).data


def _refuse_cross_site(request: Request) -> None:
    """Without this a hostile page could sign its visitor in as the attacker (login CSRF).

    DRF checks CSRF only for a user already signed in by session; here nobody is yet.
    """
    SessionAuthentication().enforce_csrf(request)


class MagicLinkRequestView(APIView):
    """Email a sign-in link. The answer is the same whether or not the address has an account."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=MagicLinkRequestSerializer,
        responses={
            202: MagicLinkRequestedSerializer,
            400: _error("The email is missing or not an email address."),
            429: _error("Too many links asked for this email or from this address; try later."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = MagicLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        if magic_link_request_limited(request, email):
            raise Ratelimited()
        # The task, not this request, finds out whether the address is known.
        tasks.magic_link_email_send.delay(email=email)
        return Response(MagicLinkRequestedSerializer({"detail": LINK_SENT}).data, status=status.HTTP_202_ACCEPTED)


class MagicLinkConfirmView(APIView):
    """Spend a magic link's token and sign in: the answer sets the session cookie."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=MagicLinkConfirmSerializer,
        responses={
            200: SessionSerializer,
            400: _error("`invalid_link`: the token has expired, was used already or was altered."),
            403: _error("The CSRF token is missing or wrong."),
        },
    )
    def post(self, request: Request) -> Response:
        _refuse_cross_site(request)
        serializer = MagicLinkConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.magic_link_redeem(token=serializer.validated_data["token"])
        if user is None:
            raise ApiError(status.HTTP_400_BAD_REQUEST, "invalid_link", LINK_INVALID, {"token": [LINK_INVALID]})
        login(request, user)
        return Response(_session_payload(request))


@method_decorator(ensure_csrf_cookie, name="dispatch")
class SessionView(APIView):
    """Who is signed in on this browser; DELETE signs out. Reading it sets the CSRF cookie."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = [SessionAuthentication]

    @extend_schema(summary="Who is signed in; sets the CSRF cookie", responses=SessionSerializer)
    def get(self, request: Request) -> Response:
        return Response(_session_payload(request))

    @extend_schema(
        summary="Sign out",
        request=None,
        responses={204: None, 403: _error("The CSRF token is missing or wrong.")},
    )
    def delete(self, request: Request) -> Response:
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
