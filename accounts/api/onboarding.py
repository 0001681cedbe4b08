"""The onboarding API: read the steps pre-filled, save any of them, then complete.

One serializer per step checks that step whole; the rules live in ``accounts.onboarding``.
"""

from itertools import pairwise

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts import onboarding, validators
from accounts.api.base import OrganizationAPIView
from accounts.api.serializers import TimeZoneNameField
from accounts.models import OnboardingState, Organization
from accounts.roles import Permission, Role
from config.api.errors import ApiError

# Step serializers ---------------------------------------------------------------


class OnboardingBusinessSerializer(serializers.ModelSerializer):
    """The business's details. Fields left out keep their value; the phone is read in the business's country."""

    timezone = TimeZoneNameField()

    class Meta:
        model = Organization
        fields = list(onboarding.BUSINESS_FIELDS)

    def validate(self, attrs: dict) -> dict:
        # organization_update normalises the phone; checking it here too puts the error under business.phone.
        if attrs.get("phone"):
            country = attrs.get("country") or self.context["organization"].country
            try:
                validators.normalize_phone(attrs["phone"], country=country)
            except DjangoValidationError as error:
                raise serializers.ValidationError({"phone": error.messages}) from error
        return attrs


class UniqueItemsListField(serializers.ListField):
    """A list whose items differ in ``unique_key``, compared without case; a repeat is named by its index."""

    unique_key = ""

    def to_internal_value(self, data) -> list:
        items = super().to_internal_value(data)
        seen: set[str] = set()
        errors = {}
        for index, item in enumerate(items):
            value = item[self.unique_key].strip().lower()
            if value in seen:
                errors[index] = {self.unique_key: [f"“{item[self.unique_key]}” is listed twice."]}
            seen.add(value)
        if errors:
            raise serializers.ValidationError(errors)
        return items


class OnboardingServiceSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60)
    price = serializers.IntegerField(min_value=0, help_text="In minor units of the business's currency, e.g. cents.")
    buffer_minutes = serializers.IntegerField(
        min_value=0, max_value=240, default=0, help_text="Kept free after the service, e.g. to travel or tidy up."
    )


class OnboardingServicesField(UniqueItemsListField):
    child = OnboardingServiceSerializer()
    unique_key = "name"

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=onboarding.MAX_SERVICES, **kwargs)


class ClockTimeField(serializers.RegexField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            r"^([01]\d|2[0-3]):[0-5]\d$",
            error_messages={"invalid": "Use a 24-hour time as HH:MM, e.g. 09:30."},
            **kwargs,
        )


class OnboardingTimeRangeSerializer(serializers.Serializer):
    start = ClockTimeField()
    end = ClockTimeField()

    def validate(self, attrs: dict) -> dict:
        # Zero-padded HH:MM strings sort as the times they name.
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [f"Must be after the start ({attrs['start']})."]})
        return attrs


class DayHoursField(serializers.ListField):
    """The opening ranges of one day, in order and not overlapping; an empty list is a day off."""

    child = OnboardingTimeRangeSerializer()

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=12, **kwargs)

    def to_internal_value(self, data) -> list:
        ranges = sorted(super().to_internal_value(data), key=lambda hours: hours["start"])
        for earlier, later in pairwise(ranges):
            if later["start"] < earlier["end"]:
                raise serializers.ValidationError(
                    f"{earlier['start']}–{earlier['end']} overlaps {later['start']}–{later['end']}."
                )
        return ranges


class OnboardingWorkingHoursSerializer(serializers.Serializer):
    monday = DayHoursField()
    tuesday = DayHoursField()
    wednesday = DayHoursField()
    thursday = DayHoursField()
    friday = DayHoursField()
    saturday = DayHoursField()
    sunday = DayHoursField()


class OnboardingInviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    # All the roles, so the schema shares the members' role enum; the owner is refused below.
    role = serializers.ChoiceField(choices=Role.choices, help_text="admin, staff or viewer: a business has one owner.")

    def validate_email(self, value: str) -> str:
        return value.lower()

    def validate_role(self, value: str) -> str:
        if value not in onboarding.INVITE_ROLES:
            raise serializers.ValidationError("Invite as admin, staff or viewer; the business already has its owner.")
        return value


class OnboardingInvitesField(UniqueItemsListField):
    child = OnboardingInviteSerializer()
    unique_key = "email"

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=onboarding.MAX_INVITES, **kwargs)


class OnboardingUpdateSerializer(serializers.Serializer):
    """Any of the four steps, shaped as in the onboarding's ``steps``; each one sent is checked whole."""

    business = OnboardingBusinessSerializer(required=False)
    services = OnboardingServicesField(required=False)
    working_hours = OnboardingWorkingHoursSerializer(required=False)
    team_invites = OnboardingInvitesField(required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(f"Send at least one step: {', '.join(onboarding.STEPS)}.")
        return attrs


# The whole onboarding, as read -----------------------------------------------------


class OnboardingIndustrySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    work_mode = serializers.CharField()
    vocabulary = serializers.DictField(child=serializers.CharField())


class OnboardingSignupDetailsSerializer(serializers.Serializer):
    """What the buyer typed at checkout, as they typed it; fields they left empty are absent."""

    email = serializers.CharField(required=False)
    business_name = serializers.CharField(required=False)
    industry = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    country = serializers.CharField(required=False)
    timezone = serializers.CharField(required=False)
    team_size = serializers.CharField(required=False)
    owner_name = serializers.CharField(required=False)
    plan = serializers.CharField(required=False)


class OnboardingStepsSerializer(serializers.Serializer):
    """The four steps, each as saved or pre-filled: the same shape a PATCH sends."""

    business = OnboardingBusinessSerializer()
    services = OnboardingServicesField()
    working_hours = OnboardingWorkingHoursSerializer()
    team_invites = OnboardingInvitesField()


class OnboardingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=OnboardingState.choices)
    completed_steps = serializers.ListField(
        child=serializers.ChoiceField(choices=onboarding.STEPS), help_text="Steps saved; the others are pre-filled."
    )
    industry = OnboardingIndustrySerializer(allow_null=True)
    steps = OnboardingStepsSerializer()
    suggested_invite_count = serializers.IntegerField(
        help_text="How many people to invite, from the team size given at checkout."
    )
    signup_details = OnboardingSignupDetailsSerializer()


# Views ------------------------------------------------------------------------------


class OnboardingView(OrganizationAPIView):
    """The organization's onboarding. Every member reads it; owners and admins fill it in."""

    write_permission = Permission.ORGANIZATION_CHANGE

    @extend_schema(responses=OnboardingSerializer)
    def get(self, request):
        return Response(OnboardingSerializer(onboarding.onboarding_get(organization=request.organization)).data)

    @extend_schema(request=OnboardingUpdateSerializer, responses=OnboardingSerializer)
    def patch(self, request):
        serializer = OnboardingUpdateSerializer(data=request.data, context={"organization": request.organization})
        serializer.is_valid(raise_exception=True)
        result = onboarding.onboarding_save(
            organization=request.organization, actor=request.user, steps=serializer.validated_data
        )
        return Response(OnboardingSerializer(result).data)


class OnboardingCompleteView(OrganizationAPIView):
    """Finish onboarding. Refused, naming the steps, while one is unusable; harmless to repeat."""

    write_permission = Permission.ORGANIZATION_CHANGE

    @extend_schema(
        request=None,
        responses={
            200: OnboardingSerializer,
            400: OpenApiResponse(description="A step is not usable yet; `error.fields` names each one and why."),
        },
    )
    def post(self, request):
        try:
            result = onboarding.onboarding_complete(organization=request.organization, actor=request.user)
        except onboarding.OnboardingIncomplete as error:
            raise ApiError(
                status.HTTP_400_BAD_REQUEST,
                "onboarding_incomplete",
                "Some onboarding steps are not finished.",
                fields=error.message_dict,
            ) from error
        return Response(OnboardingSerializer(result).data)
