import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers
from accounts.api.base import OrganizationAPIView, OrganizationGenericViewSet, OrganizationReadOnlyViewSet
from accounts.models import ActivityEntry, ApiToken, IndustryProfile, Membership, Organization
from accounts.roles import Permission


class MeView(APIView):
    """The signed-in user and every organization they belong to."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        return Response(self._payload(request))

    @extend_schema(request=serializers.UserSerializer, responses=serializers.MeSerializer)
    def patch(self, request):
        serializer = serializers.UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(self._payload(request))

    def _payload(self, request) -> dict:
        memberships = selectors.memberships_of_user(request.user)
        return serializers.MeSerializer({"user": request.user, "memberships": memberships}).data


class OrganizationView(OrganizationAPIView):
    """The organization this request works in. Owners and admins may change it."""

    write_permission = Permission.ORGANIZATION_CHANGE

    def _organization(self) -> Organization:
        return Organization.objects.select_related("industry__profile").get(pk=self.request.organization.pk)

    @extend_schema(responses=serializers.OrganizationSerializer)
    def get(self, request):
        return Response(serializers.OrganizationSerializer(self._organization()).data)

    @extend_schema(request=serializers.OrganizationSerializer, responses=serializers.OrganizationSerializer)
    def patch(self, request):
        organization = self._organization()
        serializer = serializers.OrganizationSerializer(organization, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.organization_update(organization=organization, actor=request.user, **serializer.validated_data)
        return Response(serializers.OrganizationSerializer(self._organization()).data)


class IndustryProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """The professions a business can choose, with their words and default services."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = serializers.IndustryProfileSerializer
    lookup_field = "key"
    pagination_class = None
    filterset_fields = ["work_mode"]
    ordering_fields = ["name", "key"]

    def get_queryset(self) -> QuerySet[IndustryProfile]:
        return selectors.industry_profiles_active()


class MemberViewSet(OrganizationReadOnlyViewSet):
    """The organization's team: who can sign in and with which role."""

    queryset = Membership.objects.select_related("user")
    serializer_class = serializers.MemberSerializer
    filterset_fields = ["role"]
    ordering_fields = ["created_at", "id"]


class ApiTokenFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", label="Only tokens not revoked"
    )

    class Meta:
        model = ApiToken
        fields = ["active"]


class ApiTokenViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    """Bearer tokens for scripts. Each member manages their own; owners and admins see and revoke all."""

    queryset = ApiToken.objects.select_related("user")
    serializer_class = serializers.ApiTokenSerializer
    read_permission = Permission.OWN_TOKENS_MANAGE
    write_permission = Permission.OWN_TOKENS_MANAGE
    subscription_required = False  # revoking a leaked token must work even when billing lapsed
    filterset_class = ApiTokenFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        tokens = super().get_queryset()
        if self.request.membership.has_perm(Permission.ALL_TOKENS_MANAGE):
            return tokens
        return tokens.filter(user=self.request.user)

    @extend_schema(request=serializers.ApiTokenSerializer, responses={201: serializers.NewApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = serializers.ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            organization=request.organization, user=request.user, name=serializer.validated_data["name"]
        )
        token.token = key
        return Response(serializers.NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.api_token_revoke(token=instance, actor=self.request.user)


class ActivityEntryViewSet(OrganizationReadOnlyViewSet):
    """The organization's audit trail, newest first."""

    queryset = ActivityEntry.objects.select_related("actor")
    serializer_class = serializers.ActivityEntrySerializer
    read_permission = Permission.ACTIVITY_VIEW
    filterset_fields = ["verb", "target_type", "target_id", "actor"]
    ordering_fields = ["created_at", "id"]
