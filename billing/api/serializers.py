from rest_framework import serializers

from accounts import validators
from accounts.api.serializers import TimeZoneNameField
from accounts.models import IndustryProfile
from billing import plans


class PlanSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())


class CheckoutRequestSerializer(serializers.Serializer):
    plan = serializers.CharField(help_text="The key of a plan on sale, from /api/v1/billing/plans/.")
    email = serializers.EmailField(help_text="The owner's email: the account and its login.")
    business_name = serializers.CharField(max_length=200)
    industry = serializers.CharField(help_text="An industry profile key, e.g. plumber.")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, help_text="ISO 3166 code, e.g. US.")
    timezone = TimeZoneNameField(max_length=64, help_text="IANA name, e.g. America/Chicago.")
    team_size = serializers.IntegerField(min_value=1, max_value=500, default=1)
    owner_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_plan(self, value: str) -> plans.Plan:
        plan = plans.plan_on_sale(value)
        if plan is None:
            on_sale = ", ".join(p.key for p in plans.plans_on_sale()) or "none"
            raise serializers.ValidationError(f"“{value}” is not a plan on sale (on sale: {on_sale}).")
        return plan

    def validate_email(self, value: str) -> str:
        return value.strip().lower()

    def validate_business_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give the business's name.")
        return value.strip()

    def validate_industry(self, value: str) -> str:
        if not IndustryProfile.objects.filter(key=value, is_active=True).exists():
            raise serializers.ValidationError(f"“{value}” is not an industry we offer; see /api/v1/industry-profiles/.")
        return value

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value not in dict(validators.COUNTRY_CHOICES):
            raise serializers.ValidationError(f"“{value}” is not an ISO 3166 country code such as US or GB.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.get("phone"):
            try:
                attrs["phone"] = validators.normalize_phone(attrs["phone"], country=attrs.get("country", ""))
            except Exception as error:
                raise serializers.ValidationError({"phone": list(getattr(error, "messages", [str(error)]))}) from error
        return attrs


class CheckoutSessionSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.URLField(help_text="Send the buyer here to pay.")
