"""The calendar sync API: private feed addresses, and outside calendars read for busy time."""

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.api.base import OrganizationGenericViewSet
from accounts.api.fields import OrganizationRelatedField
from accounts.models import Membership
from scheduling import calendar_sync, ical
from scheduling.models import CalendarFeed, ExternalCalendar


def _member_name(member: Membership | None) -> str | None:
    if member is None:
        return None
    return member.user.full_name or member.user.email


class CalendarFeedSerializer(serializers.ModelSerializer):
    staff = serializers.IntegerField(
        source="staff_id", read_only=True, allow_null=True, help_text="Whose bookings; null for the whole business."
    )
    staff_name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The private address to subscribe to (the token is in it).")
    webcal_url = serializers.SerializerMethodField(help_text="The same address as webcal://, for Apple and Outlook.")
    active = serializers.SerializerMethodField()

    class Meta:
        model = CalendarFeed
        fields = ["id", "staff", "staff_name", "url", "webcal_url", "active", "created_at", "revoked_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_staff_name(self, feed: CalendarFeed) -> str | None:
        return _member_name(feed.staff)

    def get_url(self, feed: CalendarFeed) -> str:
        return ical.feed_url(feed)

    def get_webcal_url(self, feed: CalendarFeed) -> str:
        return ical.feed_webcal_url(feed)

    def get_active(self, feed: CalendarFeed) -> bool:
        return feed.revoked_at is None


class CalendarFeedCreateSerializer(serializers.Serializer):
    staff = OrganizationRelatedField(
        queryset=Membership.objects.all(),
        required=False,
        allow_null=True,
        help_text="A staff member (membership id) for their bookings only; leave out for the whole business.",
    )


class CalendarFeedViewSet(
    OrganizationGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Private iCalendar addresses to subscribe to in Google, Apple or Outlook.

    Anyone with the address can read the calendar, so it is revoked rather than
    changed: revoke a leaked one and make a new one.
    """

    queryset = CalendarFeed.objects.select_related("staff__user")
    serializer_class = CalendarFeedSerializer
    filterset_fields = ["staff"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    @extend_schema(request=CalendarFeedCreateSerializer, responses={201: CalendarFeedSerializer})
    def create(self, request, *args, **kwargs):
        incoming = CalendarFeedCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        feed = calendar_sync.calendar_feed_create(
            organization=request.organization, actor=request.user, staff=incoming.validated_data.get("staff")
        )
        return Response(self._output(feed), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CalendarFeedSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Stop the address working, at once and for good."""
        feed = calendar_sync.calendar_feed_revoke(feed=self.get_object(), actor=request.user)
        return Response(self._output(feed))

    def _output(self, feed: CalendarFeed) -> dict:
        return CalendarFeedSerializer(self.get_queryset().get(pk=feed.pk)).data


class ExternalCalendarSerializer(serializers.ModelSerializer):
    staff = serializers.IntegerField(source="staff_id", read_only=True, help_text="Whose busy time this is.")
    staff_name = serializers.SerializerMethodField()
    # Blank for a calendar fed by uploads, so not a "uri" in the schema.
    url = serializers.CharField(read_only=True, help_text="Its iCalendar address; blank when it is fed by uploads.")

    class Meta:
        model = ExternalCalendar
        fields = ["id", "staff", "staff_name", "name", "url", "status", "last_error", "last_synced_at", "created_at"]
        read_only_fields = fields

    def get_staff_name(self, calendar: ExternalCalendar) -> str:
        return _member_name(calendar.staff) or ""


class ExternalCalendarWriteSerializer(serializers.Serializer):
    staff = OrganizationRelatedField(queryset=Membership.objects.all(), help_text="The staff member (membership id).")
    name = serializers.CharField(max_length=120, help_text='What to call it, e.g. "Personal (Google)".')
    url = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="Its secret iCalendar address (https:// or webcal://); leave blank to upload .ics files instead.",
    )


class ExternalCalendarUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="An .ics file exported from the calendar, up to 5 MB."
    )


class _LimitedMemoryUpload(MemoryFileUploadHandler):
    """Stop reading an upload past the limit instead of spooling all of it first."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        _check_upload_size(start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)


class _LimitedDiskUpload(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        _check_upload_size(start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)


def _check_upload_size(size: int) -> None:
    if size > calendar_sync.MAX_UPLOAD_BYTES:
        limit = calendar_sync.MAX_UPLOAD_BYTES // 1024 // 1024
        raise ValidationError({"file": [f"The file is larger than {limit} MB."]})


class ExternalCalendarViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
):
    """Staff members' other calendars (Google, Apple, Outlook), read for busy time only.

    One with an address is read when it is added and every half hour; one without
    takes uploaded .ics files. Its busy time keeps the slot finder from offering those
    times. Only times are kept, never what the events were.
    """

    queryset = ExternalCalendar.objects.select_related("staff__user")
    serializer_class = ExternalCalendarSerializer
    filterset_fields = ["staff", "status"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def initialize_request(self, request, *args, **kwargs):
        # Session authentication's CSRF check reads a POST body before any view code runs: cap uploads first.
        request.upload_handlers = [_LimitedMemoryUpload(request), _LimitedDiskUpload(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(request=ExternalCalendarWriteSerializer, responses={201: ExternalCalendarSerializer})
    def create(self, request, *args, **kwargs):
        """Add a calendar; one with an address is read straight away by a worker."""
        incoming = ExternalCalendarWriteSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        calendar = calendar_sync.external_calendar_create(
            organization=request.organization, actor=request.user, **incoming.validated_data
        )
        return Response(self._output(calendar), status=status.HTTP_201_CREATED)

    @extend_schema(request=ExternalCalendarWriteSerializer, responses=ExternalCalendarSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Rename it, give it to another staff member, or change its address (read again at once)."""
        calendar = self.get_object()
        incoming = ExternalCalendarWriteSerializer(data=request.data, partial=True, context={"request": request})
        incoming.is_valid(raise_exception=True)
        calendar = calendar_sync.external_calendar_update(
            calendar=calendar, actor=request.user, data=incoming.validated_data
        )
        return Response(self._output(calendar))

    def perform_destroy(self, instance: ExternalCalendar) -> None:
        calendar_sync.external_calendar_delete(calendar=instance, actor=self.request.user)

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(ExternalCalendarSerializer, description="The read is queued.")},
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        """Read the calendar's address now rather than at the next half hour."""
        calendar = calendar_sync.external_calendar_refresh(calendar=self.get_object(), actor=request.user)
        return Response(self._output(calendar), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request={"multipart/form-data": ExternalCalendarUploadSerializer}, responses=ExternalCalendarSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request, pk=None):
        """Replace the calendar's busy time with an exported .ics file (calendars without an address)."""
        calendar = self.get_object()  # before the body is read: another organization's id is a 404
        incoming = ExternalCalendarUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        calendar = calendar_sync.external_calendar_upload(
            calendar=calendar, actor=request.user, file=incoming.validated_data["file"]
        )
        return Response(self._output(calendar))

    def _output(self, calendar: ExternalCalendar) -> dict:
        return ExternalCalendarSerializer(self.get_queryset().get(pk=calendar.pk)).data
