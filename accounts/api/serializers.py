from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import validators
from accounts.models import ActivityEntry, ApiToken, IndustryProfile, Membership, Organization, User
from accounts.roles import ROLE_PERMISSIONS


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "full_name"]
        read_only_fields = ["id", "email", "full_name"]


class OrganizationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name"]


class MyMembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationSummarySerializer(read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "organization", "role", "permissions"]

    def get_permissions(self, membership: Membership) -> list[str]:
        return sorted(ROLE_PERMISSIONS[membership.role])


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    memberships = MyMembershipSerializer(many=True)


class IndustryProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndustryProfile
        fields = [
            "key",
            "name",
            "work_mode",
            "vocabulary",
            "default_services",
            "reminder_offsets_hours",
            "review_request_delay_hours",
            "contact_fields",
        ]


class OrganizationIndustrySerializer(serializers.Serializer):
    key = serializers.CharField(source="profile.key")
    name = serializers.CharField(source="profile.name")
    work_mode = serializers.CharField(source="profile.work_mode")
    vocabulary = serializers.DictField(child=serializers.CharField())


class TimeZoneNameField(serializers.CharField):
    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        if not validators.is_time_zone_name(name):
            raise serializers.ValidationError(f"“{name[:60]}” is not a time zone name such as Europe/London.")
        return name

    def to_representation(self, value):
        return str(value)


class OrganizationSerializer(serializers.ModelSerializer):
    timezone = TimeZoneNameField(required=False)
    industry = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "currency",
            "country",
            "phone",
            "email",
            "website",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "industry",
            "onboarding_state",
            "subscription_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "slug", "onboarding_state", "subscription_status", "created_at", "updated_at"]

    @extend_schema_field(OrganizationIndustrySerializer(allow_null=True))
    def get_industry(self, organization: Organization) -> dict | None:
        industry = getattr(organization, "industry", None)
        return OrganizationIndustrySerializer(industry).data if industry is not None else None


class MemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "user", "created_at", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself. It is shown this once only.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ActivityEntrySerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ActivityEntry
        fields = ["id", "actor", "verb", "target_type", "target_id", "summary", "data", "created_at"]
