"""The scheduling API: services, jobs, bookings, availability and the calendar.

Times in requests without an offset are read in the organization's time zone, and
answers are written in it (with their offset), so "Tuesday 9:00" means the business's
Tuesday 9:00 whatever the server's or the client's zone.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, ProtectedError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.base import OrganizationAPIView, OrganizationGenericViewSet
from accounts.api.fields import OrganizationRelatedField
from accounts.models import Membership
from accounts.roles import Permission
from config.api.errors import ApiError
from config.api.idempotency import idempotent
from scheduling import selectors, services
from scheduling.api import serializers
from scheduling.api.filters import BookingFilter, JobFilter
from scheduling.models import Booking, DateHours, Job, JobAssignee, Service, TimeOff, WeeklyHours

MAX_WINDOW = timedelta(days=62)
DEFAULT_WINDOW = timedelta(days=7)
WINDOW_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Start; by default today (slots: now)."),
    OpenApiParameter(
        "to", OpenApiTypes.DATETIME, description="End; by default a week after the start; 62 days at most."
    ),
    OpenApiParameter("staff", str, description="Staff member (membership) ids, comma-separated."),
    OpenApiParameter("tz", str, description="IANA time zone of the answer; by default the organization's."),
]
CONFLICT_RESPONSE = OpenApiResponse(description="The staff member is already booked then; names the booking.")


class OrganizationTimeMixin:
    """Read and write times in the organization's time zone for the whole request."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        organization = getattr(request, "organization", None)
        if organization is not None:
            timezone.activate(organization.timezone)
            self.tenancy.callback(timezone.deactivate)


def _renderer(tz: ZoneInfo) -> Callable[[datetime], str]:
    """Writes moments in ``tz``, each distinct one once: a slot's end is mostly another's start."""
    written: dict[datetime, str] = {}

    def render(moment: datetime) -> str:
        if moment not in written:
            written[moment] = moment.astimezone(tz).isoformat()
        return written[moment]

    return render


def _conflict(error: services.BookingConflict) -> ApiError:
    booking = error.conflicting
    if booking is None:
        return ApiError(status.HTTP_409_CONFLICT, "booking_conflict", str(error))
    tz = timezone.get_current_timezone()
    starts, ends = timezone.localtime(booking.starts_at, tz), timezone.localtime(booking.ends_at, tz)
    return ApiError(
        status.HTTP_409_CONFLICT,
        "booking_conflict",
        f"The staff member is already booked from {starts:%Y-%m-%d %H:%M} to {ends:%H:%M} (booking {booking.pk}).",
        extra={
            "conflicting_booking": {
                "id": booking.pk,
                "staff": booking.staff_id,
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "blocked_from": timezone.localtime(booking.blocked_from, tz).isoformat(),
                "blocked_until": timezone.localtime(booking.blocked_until, tz).isoformat(),
            }
        },
    )


def _valid(serializer_class, data, request, **kwargs):
    incoming = serializer_class(data=data, context={"request": request}, **kwargs)
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data


# Services offered -------------------------------------------------------------------------


class ServiceViewSet(
    OrganizationTimeMixin,
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """What the business sells, with its length, price, buffers and who can do it."""

    queryset = Service.objects.prefetch_related("staff")
    serializer_class = serializers.ServiceSerializer
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def perform_create(self, serializer) -> None:
        service = services.service_create(
            organization=self.request.organization, actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_update(self, serializer) -> None:
        service = services.service_update(
            service=serializer.instance, actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=service.pk)

    def perform_destroy(self, instance: Service) -> None:
        try:
            instance.delete()
        except ProtectedError as error:
            raise ApiError(
                status.HTTP_409_CONFLICT,
                "service_in_use",
                "Bookings use this service: set is_active to false to stop offering it instead.",
            ) from error


# Jobs -----------------------------------------------------------------------------------


class JobViewSet(
    OrganizationTimeMixin,
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    """Work for a client: its estimate, its people, its statuses and its visits."""

    queryset = Job.objects.select_related("contact").prefetch_related(
        Prefetch("jobassignee_set", queryset=JobAssignee.objects.order_by("id")),
        "line_items",
        "status_changes",
        "attachments",
    )
    serializer_class = serializers.JobSerializer
    filterset_class = JobFilter
    ordering_fields = ["created_at", "updated_at", "title", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch"]

    def _answer(self, job: Job, code: int = status.HTTP_200_OK) -> Response:
        return Response(serializers.JobSerializer(self.get_queryset().get(pk=job.pk)).data, status=code)

    @staticmethod
    def _write_arguments(data: dict) -> dict:
        data = dict(data)
        if "line_items" in data:
            data["line_items"] = [serializers.LineItemSerializer().to_line_item(item) for item in data["line_items"]]
        address = {field: data.pop(field) for field in services.JOB_ADDRESS_FIELDS if field in data}
        return data, address

    @extend_schema(request=serializers.JobWriteSerializer, responses={201: serializers.JobSerializer})
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data, address = self._write_arguments(_valid(serializers.JobWriteSerializer, request.data, request))
        job = services.job_create(organization=request.organization, actor=request.user, address=address, **data)
        return self._answer(job, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.JobWriteSerializer, responses=serializers.JobSerializer)
    def partial_update(self, request, *args, **kwargs):
        job = self.get_object()
        data, address = self._write_arguments(
            _valid(serializers.JobWriteSerializer, request.data, request, partial=True)
        )
        job = services.job_update(job=job, actor=request.user, **data, **address)
        return self._answer(job)

    @extend_schema(request=serializers.TransitionSerializer, responses=serializers.JobSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the job to another status; only the allowed moves are accepted."""
        data = _valid(serializers.TransitionSerializer, request.data, request)
        job = services.job_transition(
            job=self.get_object(), actor=request.user, to_status=data["status"], reason=data["reason"]
        )
        return self._answer(job)

    @extend_schema(request=serializers.AttachmentWriteSerializer, responses={201: serializers.AttachmentSerializer})
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        """Record a file attached to the job (its name, type, size and where it is kept)."""
        data = _valid(serializers.AttachmentWriteSerializer, request.data, request)
        attachment = services.job_attachment_add(job=self.get_object(), actor=request.user, **data)
        return Response(serializers.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.BookingSerializer(many=True))
    @action(detail=True, methods=["get"])
    def visits(self, request, pk=None):
        """The job's visits on the calendar, in time order."""
        visits = Booking.objects.filter(organization=request.organization, job=self.get_object()).order_by(
            "starts_at", "id"
        )
        page = self.paginate_queryset(visits)
        return self.get_paginated_response(serializers.BookingSerializer(page, many=True).data)


# Bookings -------------------------------------------------------------------------------


class BookingViewSet(
    OrganizationTimeMixin,
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    """Appointments and visits: a staff member's time for a client. Nobody is booked twice at once."""

    queryset = Booking.objects.all()
    serializer_class = serializers.BookingSerializer
    filterset_class = BookingFilter
    ordering_fields = ["starts_at", "created_at", "id"]
    ordering = ["starts_at", "id"]
    http_method_names = ["get", "post", "patch"]

    def _answer(self, booking: Booking, code: int = status.HTTP_200_OK) -> Response:
        return Response(serializers.BookingSerializer(self.get_queryset().get(pk=booking.pk)).data, status=code)

    @extend_schema(
        request=serializers.BookingWriteSerializer,
        responses={201: serializers.BookingSerializer, 409: CONFLICT_RESPONSE},
    )
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = _valid(serializers.BookingWriteSerializer, request.data, request)
        try:
            booking = services.booking_create(organization=request.organization, actor=request.user, **data)
        except services.BookingConflict as error:
            raise _conflict(error) from error
        return self._answer(booking, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.BookingUpdateSerializer, responses=serializers.BookingSerializer)
    def partial_update(self, request, *args, **kwargs):
        data = _valid(serializers.BookingUpdateSerializer, request.data, request, partial=True)
        return self._answer(services.booking_update(booking=self.get_object(), actor=request.user, **data))

    @extend_schema(
        request=serializers.RescheduleSerializer, responses={200: serializers.BookingSerializer, 409: CONFLICT_RESPONSE}
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Move the booking (and optionally to another staff member), with a reason."""
        data = _valid(serializers.RescheduleSerializer, request.data, request)
        try:
            booking = services.booking_reschedule(booking=self.get_object(), actor=request.user, **data)
        except services.BookingConflict as error:
            raise _conflict(error) from error
        return self._answer(booking)

    @extend_schema(request=serializers.CancelSerializer, responses=serializers.BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel with a reason; the time becomes free again."""
        data = _valid(serializers.CancelSerializer, request.data, request)
        return self._answer(services.booking_cancel(booking=self.get_object(), actor=request.user, **data))

    @extend_schema(request=serializers.TransitionSerializer, responses=serializers.BookingSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Confirm, complete, mark as no-show or cancel; only the allowed moves are accepted."""
        data = _valid(serializers.TransitionSerializer, request.data, request)
        booking = services.booking_transition(
            booking=self.get_object(), actor=request.user, to_status=data["status"], reason=data["reason"]
        )
        return self._answer(booking)


# Availability and the calendar ----------------------------------------------------------------


def _time_zone(name: str | None):
    """The asked time zone, already checked by the query's serializer, or the organization's."""
    return ZoneInfo(name) if name else timezone.get_current_timezone()


def _window(data: dict, default_start: datetime) -> tuple[datetime, datetime]:
    start = data.get("from", default_start)
    end = data.get("to", start + DEFAULT_WINDOW)
    if end <= start:
        raise drf_serializers.ValidationError({"to": ["The end of the window must be after its start."]})
    if end - start > MAX_WINDOW:
        raise drf_serializers.ValidationError({"to": ["Ask for at most 62 days at a time."]})
    return start, end


class SlotsView(OrganizationTimeMixin, OrganizationAPIView):
    """Free times for a service: inside working hours, clear of bookings (with buffers),
    time off and busy time from external calendars, after the lead time and within the horizon."""

    @extend_schema(
        parameters=[OpenApiParameter("service", int, required=True), *WINDOW_PARAMETERS],
        responses=serializers.SlotsSerializer,
    )
    def get(self, request):
        data = _valid(serializers.SlotQuerySerializer, request.query_params, request)
        tz = _time_zone(data.get("tz"))
        start, end = _window(data, timezone.now())
        slots = selectors.free_slots(
            organization=request.organization,
            service=data["service"],
            start=start,
            end=end,
            staff_ids=data.get("staff"),
        )
        render = _renderer(tz)
        return Response(
            {
                "service": data["service"].pk,
                "time_zone": str(tz),
                "slots": [
                    {"start": render(slot.start), "end": render(slot.end), "staff": slot.staff} for slot in slots
                ],
            }
        )


class CalendarView(OrganizationTimeMixin, OrganizationAPIView):
    """Bookings overlapping a day, week or month, with their service, client and job, in one response."""

    queryset = Booking.objects.all()  # names the model for the suites that walk every route

    @extend_schema(
        parameters=[
            *WINDOW_PARAMETERS,
            OpenApiParameter("include_cancelled", bool, description="Show cancelled bookings too."),
        ],
        responses=serializers.CalendarSerializer,
    )
    def get(self, request):
        data = _valid(serializers.WindowSerializer, request.query_params, request)
        tz = _time_zone(data.get("tz"))
        today = timezone.localtime(timezone.now(), tz).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = _window(data, today)
        rows = selectors.calendar_rows(
            organization=request.organization,
            start=start,
            end=end,
            staff_ids=data.get("staff"),
            include_cancelled=request.query_params.get("include_cancelled") in ("true", "1"),
        )
        render = _renderer(tz)
        return Response(
            {
                "from": render(start),
                "to": render(end),
                "results": [serializers.calendar_entry(row, render) for row in rows],
            }
        )


class WeeklyHoursView(OrganizationTimeMixin, OrganizationAPIView):
    """The regular week of the business (no staff) or of one staff member (``?staff=``)."""

    @extend_schema(
        parameters=[OpenApiParameter("staff", int, description="A staff member; none: the business's hours.")],
        responses=serializers.WeekResponseSerializer,
    )
    def get(self, request):
        staff = self._staff(request.query_params.get("staff"))
        rows = WeeklyHours.objects.filter(organization=request.organization, staff=staff)
        return Response(serializers.week_payload(staff.pk if staff else None, list(rows)))

    @extend_schema(request=serializers.WeekSerializer, responses=serializers.WeekResponseSerializer)
    def put(self, request):
        incoming = serializers.WeekSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        staff = incoming.validated_data.get("staff")
        rows = services.weekly_hours_set(
            organization=request.organization, actor=request.user, staff=staff, week=incoming.week()
        )
        return Response(serializers.week_payload(staff.pk if staff else None, rows))

    def _staff(self, value: str | None) -> Membership | None:
        if not value:
            return None
        field = OrganizationRelatedField(queryset=Membership.objects.all())
        field.bind("staff", serializers.WeekSerializer(context={"request": self.request}))
        return field.run_validation(value)


class DateHoursViewSet(
    OrganizationTimeMixin,
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    """Dates whose hours differ from the regular week (a holiday, a late opening)."""

    queryset = DateHours.objects.all()
    serializer_class = serializers.DateHoursSerializer
    ordering = ["date", "id"]

    def perform_create(self, serializer) -> None:
        serializer.instance = services.date_hours_set(
            organization=self.request.organization, actor=self.request.user, **serializer.validated_data
        )


class TimeOffViewSet(
    OrganizationTimeMixin,
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
):
    """A staff member away, or the whole business closed, for a span of time."""

    queryset = TimeOff.objects.all()
    serializer_class = serializers.TimeOffSerializer
    ordering = ["-starts_at", "-id"]

    def perform_create(self, serializer) -> None:
        serializer.instance = services.time_off_create(
            organization=self.request.organization, actor=self.request.user, **serializer.validated_data
        )


class BookingPolicyView(OrganizationTimeMixin, OrganizationAPIView):
    """How clients may book: lead time, how far ahead, and the step between slots."""

    write_permission = Permission.ORGANIZATION_CHANGE

    @extend_schema(responses=serializers.BookingPolicySerializer)
    def get(self, request):
        return Response(serializers.BookingPolicySerializer(selectors.booking_policy(request.organization)).data)

    @extend_schema(request=serializers.BookingPolicySerializer, responses=serializers.BookingPolicySerializer)
    def patch(self, request):
        data = _valid(serializers.BookingPolicySerializer, request.data, request, partial=True)
        policy = services.booking_policy_update(organization=request.organization, actor=request.user, **data)
        return Response(serializers.BookingPolicySerializer(policy).data)
