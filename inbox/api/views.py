"""The inbox API: integrations, threads and what the team does with them, messages, labels.

Views parse input, call one service or selector, and shape the answer; the rules live in
inbox.services and inbox.selectors.
"""

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, negotiation, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.base import OrganizationAPIView, OrganizationGenericViewSet
from accounts.roles import Permission
from config.api.errors import ApiError
from config.api.idempotency import idempotent
from config.api.pagination import CursorPagination
from inbox import selectors, services
from inbox.api import serializers
from inbox.api.filters import ThreadFilter
from inbox.models import Attachment, IntegrationConfig, Label, Thread

# A thread's own actions name it by id: the list's filters (and their query parameters) do not apply.
THREAD_BY_ID: list = []


# Integrations -------------------------------------------------------------------------------


class IntegrationViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """How each channel reaches the business. Credentials are written, never read back.
    Changing integrations needs the right to change the organization's settings."""

    queryset = IntegrationConfig.objects.all()
    serializer_class = serializers.IntegrationSerializer
    write_permission = Permission.ORGANIZATION_CHANGE
    ordering_fields = ["kind", "created_at", "id"]
    ordering = ["kind", "id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def perform_create(self, serializer) -> None:
        serializer.instance = services.integration_create(
            organization=self.request.organization, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = services.integration_update(
            config=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: IntegrationConfig) -> None:
        services.integration_delete(config=instance, actor=self.request.user)

    @extend_schema(request=None, responses=serializers.IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Ask the provider whether the credentials work; the answer is kept as status and last_error."""
        config = services.integration_check(config=self.get_object())
        return Response(serializers.IntegrationSerializer(config).data)


# Labels -------------------------------------------------------------------------------------


class LabelViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """The organization's labels for threads; a name is used once."""

    queryset = Label.objects.all()
    serializer_class = serializers.LabelSerializer
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def perform_create(self, serializer) -> None:
        serializer.instance = services.label_create(
            organization=self.request.organization, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer) -> None:
        serializer.instance = services.label_update(
            label=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: Label) -> None:
        services.label_delete(label=instance, actor=self.request.user)


# Threads ------------------------------------------------------------------------------------


class MessagePagination(CursorPagination):
    """A thread's messages page from the newest backwards: ``next`` leads to older ones."""

    ordering = ("-created_at", "-id")


class ThreadViewSet(OrganizationGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Conversations, one per contact across every channel, most recent activity first.

    Actions (read, unread, assign, close, reopen, snooze, labels) answer with the thread
    and are pushed to the organization's live clients."""

    queryset = Thread.objects.all()
    serializer_class = serializers.ThreadSerializer
    filterset_class = ThreadFilter
    ordering_fields = ["last_message_at"]
    ordering = ["-last_message_at", "-id"]

    def get_queryset(self) -> QuerySet[Thread]:
        if self.action == "list":
            return selectors.threads_listed(organization=self.request.organization)
        return selectors.threads_shown(organization=self.request.organization)

    def list(self, request, *args, **kwargs):
        # The list reads rows, not model instances, as the contacts list does: at 50 threads
        # a page, building threads, contacts, members and users cost more than the query.
        threads = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(threads.values(*selectors.THREAD_ROW_FIELDS))
        labels = selectors.thread_label_refs(organization=request.organization, thread_ids=[row["id"] for row in page])
        return self.get_paginated_response(serializers.thread_rows_payload(page, labels))

    def _answer(self, thread: Thread) -> Response:
        return Response(serializers.thread_payload(self.get_queryset().get(pk=thread.pk)))

    @extend_schema(request=None, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def read(self, request, pk=None):
        """Mark every message of the thread read."""
        return self._answer(services.thread_mark_read(thread=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def unread(self, request, pk=None):
        """Mark the thread unread again (at least one unread message)."""
        return self._answer(services.thread_mark_unread(thread=self.get_object(), actor=request.user))

    @extend_schema(request=serializers.ThreadAssignSerializer, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def assign(self, request, pk=None):
        """Give the thread to a member of this business, or to nobody."""
        thread = self.get_object()
        member = _valid(serializers.ThreadAssignSerializer, request)["member"]
        return self._answer(services.thread_assign(thread=thread, actor=request.user, member=member))

    @extend_schema(request=None, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def close(self, request, pk=None):
        return self._answer(services.thread_close(thread=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def reopen(self, request, pk=None):
        """Open a closed or snoozed thread again."""
        return self._answer(services.thread_reopen(thread=self.get_object(), actor=request.user))

    @extend_schema(request=serializers.ThreadSnoozeSerializer, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def snooze(self, request, pk=None):
        """Hide the thread until a moment in the future; a new message from the contact ends it sooner."""
        thread = self.get_object()
        until = _valid(serializers.ThreadSnoozeSerializer, request)["until"]
        return self._answer(services.thread_snooze(thread=thread, actor=request.user, until=until))

    @extend_schema(request=serializers.ThreadLabelsSerializer, responses=serializers.ThreadSerializer)
    @action(detail=True, methods=["post"], filter_backends=THREAD_BY_ID)
    def labels(self, request, pk=None):
        """Set the thread's labels: exactly those given, afterwards."""
        thread = self.get_object()
        labels = _valid(serializers.ThreadLabelsSerializer, request)["labels"]
        return self._answer(services.thread_labels_set(thread=thread, actor=request.user, labels=labels))

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=serializers.MessageSerializer(many=True),
        description="The thread's messages. Pages go from the newest backwards (`next` leads to older "
        "messages), and each page lists its messages in chronological order, oldest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.MessageWriteSerializer,
        responses={201: serializers.MessageSerializer},
        description="Queue a message to the contact, on `channel` or where they last wrote from. Accepts "
        "an Idempotency-Key header: a retry with the same key answers the first message again.",
    )
    @action(detail=True, methods=["get", "post"], filter_backends=THREAD_BY_ID, pagination_class=MessagePagination)
    def messages(self, request, pk=None):
        thread = self.get_object()
        if request.method == "POST":
            return idempotent(request, lambda: self._send(request, thread))
        page = self.paginate_queryset(selectors.thread_messages(thread=thread))
        chronological = [serializers.message_payload(message, request) for message in reversed(page)]
        return self.get_paginated_response(chronological)

    def _send(self, request, thread: Thread) -> Response:
        data = _valid(serializers.MessageWriteSerializer, request)
        message = services.message_send(
            thread=thread,
            actor=request.user,
            body=data["body"],
            channel=data.get("channel"),
            subject=data.get("subject", ""),
        )
        shown = selectors.message_with_details(message_id=message.pk, organization=request.organization)
        return Response(serializers.message_payload(shown, request), status=status.HTTP_201_CREATED)


def _valid(serializer_class, request) -> dict:
    incoming = serializer_class(data=request.data, context={"request": request})
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data


class ThreadCountsView(OrganizationAPIView):
    """Threads with unread messages for the sidebar: all, mine, unassigned, per channel, per label."""

    @extend_schema(responses=serializers.ThreadCountsSerializer)
    def get(self, request):
        counts = selectors.thread_unread_counts(organization=request.organization, membership=request.membership)
        return Response(serializers.ThreadCountsSerializer(counts).data)


# Attachments --------------------------------------------------------------------------------


class _AnyAccept(negotiation.DefaultContentNegotiation):
    """A download answers with the file whatever ``Accept`` says; its errors still come as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AttachmentViewSet(OrganizationGenericViewSet):
    """Our stored copies of the files that came with messages."""

    queryset = Attachment.objects.all()
    filter_backends: list = []

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file; its type is the attachment's content_type."
            )
        }
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_AnyAccept)
    def download(self, request, pk=None):
        """The stored copy of an attachment, as a download (never shown inline: senders choose its content)."""
        attachment = self.get_object()
        if not attachment.file:
            raise ApiError(status.HTTP_404_NOT_FOUND, "not_stored", "No copy of this file is kept.")
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as error:
            raise ApiError(status.HTTP_404_NOT_FOUND, "not_stored", "No copy of this file is kept.") from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.filename or "attachment",
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
