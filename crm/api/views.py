from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, negotiation, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.base import OrganizationGenericViewSet
from config.api.errors import ApiError
from config.api.filters import to_utc
from config.api.idempotency import idempotent
from crm import selectors, services
from crm.api import serializers
from crm.api.filters import ContactFilter
from crm.export import contacts_csv_response
from crm.models import Contact, Tag

SEARCH = OpenApiParameter("search", str, description="Names, company, emails or phone digits; typos forgiven.")
DELETED = OpenApiParameter("deleted", bool, description="List the contacts deleted in the last 30 days instead.")
# A contact's own actions name it by id: the list's filters (and their query parameters) do not apply.
CONTACT_BY_ID: list = []


def _tags(organization, names: list[str]) -> list[Tag]:
    return [services.tag_get_or_create(organization=organization, name=name) for name in names]


class _IgnoreAccept(negotiation.DefaultContentNegotiation):
    """A download answers CSV even to ``Accept: text/csv`` (which JSON-only negotiation refuses
    with a 406); its errors still come as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ContactViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """The business's clients. Deleting keeps a contact restorable for 30 days."""

    queryset = Contact.objects.defer("search_text", "phone_digits").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name"), to_attr="tag_list")
    )
    serializer_class = serializers.ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["last_name", "first_name", "created_at", "last_activity_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Contact]:
        contacts = super().get_queryset()
        wants_deleted = self.action == "list" and self.request.query_params.get("deleted") in ("true", "1")
        if self.action == "restore" or wants_deleted:
            return contacts.filter(deleted_at__isnull=False, merged_into__isnull=True)
        return contacts.filter(deleted_at__isnull=True)

    @extend_schema(parameters=[SEARCH, DELETED])
    def list(self, request, *args, **kwargs):
        # The list reads rows, not model instances: at 50 contacts a page building
        # instances cost more than the query.
        contacts = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        term = request.query_params.get("search", "").strip()
        if term:
            # Search results come best first, so they are one page of the most relevant.
            found = selectors.contacts_search(contacts, term, organization=request.organization).values(
                *selectors.CONTACT_VALUE_FIELDS
            )
            rows = list(found[: selectors.SEARCH_LIMIT])
            return Response({"next": None, "previous": None, "results": self._payloads(rows)})
        page = self.paginate_queryset(contacts.values(*selectors.CONTACT_VALUE_FIELDS))
        return self.get_paginated_response(self._payloads(page))

    def _payloads(self, rows: "list[dict]") -> "list[dict]":  # quoted: `list` is the action here
        tags = selectors.contact_tag_names(
            organization=self.request.organization, contact_ids=[row["id"] for row in rows]
        )
        return [serializers.contact_payload(row, tags.get(row["id"], [])) for row in rows]

    @extend_schema(request=serializers.ContactWriteSerializer, responses={201: serializers.ContactSerializer})
    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = dict(self._input().validated_data)
        tags = _tags(request.organization, data.pop("tags", []))
        contact = services.contact_create(organization=request.organization, actor=request.user, data=data, tags=tags)
        return Response(
            serializers.ContactSerializer(self.get_queryset().get(pk=contact.pk)).data, status=status.HTTP_201_CREATED
        )

    def _input(self) -> serializers.ContactWriteSerializer:
        incoming = serializers.ContactWriteSerializer(data=self.request.data, partial=self.action == "partial_update")
        incoming.is_valid(raise_exception=True)
        return incoming

    @extend_schema(request=serializers.ContactWriteSerializer, responses=serializers.ContactSerializer)
    def partial_update(self, request, *args, **kwargs):
        contact = self.get_object()
        data = dict(self._input().validated_data)
        tags = data.pop("tags", None)
        services.contact_update(contact=contact, actor=request.user, data=data)
        if tags is not None:
            services.contact_tags_set(contact=contact, tags=_tags(request.organization, tags), actor=request.user)
        return Response(serializers.ContactSerializer(self.get_queryset().get(pk=contact.pk)).data)

    def perform_destroy(self, instance: Contact) -> None:
        services.contacts_delete(
            organization=self.request.organization,
            contacts=Contact.objects.filter(pk=instance.pk),
            actor=self.request.user,
        )

    @extend_schema(request=None, responses=serializers.ContactSerializer)
    @action(detail=True, methods=["post"], filter_backends=CONTACT_BY_ID)
    def restore(self, request, pk=None):
        contact = services.contact_restore(contact=self.get_object(), actor=request.user)
        return Response(serializers.ContactSerializer(contact).data)

    @extend_schema(request=serializers.MergeSerializer, responses=serializers.ContactSerializer)
    @action(detail=True, methods=["post"], filter_backends=CONTACT_BY_ID)
    def merge(self, request, pk=None):
        """Merge another contact into this one: its notes, tags and everything later apps keep move here."""
        target = self.get_object()
        incoming = serializers.MergeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        other = get_object_or_404(self.get_queryset(), pk=incoming.validated_data["other"])
        merged = services.contact_merge(target=target, merged=other, actor=request.user)
        return Response(serializers.ContactSerializer(self.get_queryset().get(pk=merged.pk)).data)

    @extend_schema(responses=serializers.ContactSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=CONTACT_BY_ID, pagination_class=None)
    def duplicates(self, request, pk=None):
        """Likely duplicates of this contact: same email, same phone or a similar name."""
        found = selectors.contact_duplicates(contact=self.get_object())
        return Response(serializers.ContactSerializer(found, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "before", OpenApiTypes.DATETIME, description="Only events older than this (from next_before)."
            ),
            OpenApiParameter("limit", int, description="Up to 100; 50 by default."),
        ],
        responses=serializers.TimelinePageSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=CONTACT_BY_ID)
    def timeline(self, request, pk=None):
        """Everything that happened with this contact, newest first, from every app that plugs in."""
        before = _before(request.query_params.get("before"))
        limit = _limit(request.query_params.get("limit"))
        items = selectors.contact_timeline(contact=self.get_object(), before=before, limit=limit)
        next_before = items[-1].at if len(items) == limit else None
        return Response(serializers.TimelinePageSerializer({"results": items, "next_before": next_before}).data)

    @extend_schema(
        request=serializers.NoteSerializer,
        responses={200: serializers.NoteSerializer(many=True), 201: serializers.NoteSerializer},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=CONTACT_BY_ID)
    def notes(self, request, pk=None):
        contact = self.get_object()
        if request.method == "GET":
            notes = contact.notes.select_related("author").order_by("-created_at", "-id")
            page = self.paginate_queryset(notes)
            return self.get_paginated_response(serializers.NoteSerializer(page, many=True).data)
        incoming = serializers.NoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        note = services.note_create(contact=contact, author=request.user, body=incoming.validated_data["body"])
        return Response(serializers.NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[SEARCH], filters=True, responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], url_path="export", content_negotiation_class=_IgnoreAccept)
    def export(self, request):
        """The contacts the list shows, with the same filters, search and ordering, as a CSV file.

        The file is streamed as it is written, whatever its size. Cells that a spreadsheet
        would run as a formula start with a quote; phone numbers in E.164 are left as they are."""
        contacts = self.filter_queryset(self.get_queryset())
        term = request.query_params.get("search", "").strip()
        if term:
            contacts = selectors.contacts_search(contacts, term, organization=request.organization)
        return contacts_csv_response(contacts, organization=request.organization)

    @extend_schema(request=serializers.BulkActionSerializer, responses=serializers.BulkResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Tag, untag or delete many contacts: by ids, or all that a list filter shows."""
        incoming = serializers.BulkActionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contacts = self._bulk_targets(incoming.validated_data)
        organization, actor = request.organization, request.user
        match incoming.validated_data["action"]:
            case "delete":
                affected = services.contacts_delete(organization=organization, contacts=contacts, actor=actor)
            case "tag":
                tags = _tags(organization, incoming.validated_data["tags"])
                affected = services.contacts_tag(organization=organization, contacts=contacts, tags=tags, actor=actor)
            case _:
                tags = list(Tag.objects.filter(organization=organization, name__in=incoming.validated_data["tags"]))
                affected = services.contacts_untag(organization=organization, contacts=contacts, tags=tags, actor=actor)
        return Response({"affected": affected})

    def _bulk_targets(self, data: dict) -> QuerySet[Contact]:
        contacts = self.get_queryset()
        if "ids" in data:
            return contacts.filter(pk__in=data["ids"])
        params = QueryDict(mutable=True)
        params.update(data["filter"])
        filterset = ContactFilter(params, queryset=contacts, request=self.request)
        if not filterset.is_valid():
            raise ApiError(
                status.HTTP_400_BAD_REQUEST, "invalid", "The filter is not valid.", {"filter": filterset.errors}
            )
        filtered = filterset.qs
        term = params.get("search", "").strip()
        if not term:
            return filtered
        found = selectors.contacts_search(filtered, term, organization=self.request.organization)
        return Contact.objects.filter(pk__in=found.values("pk"))


def _before(value: str | None):
    """``before`` in UTC. A time that cannot be (month 13, an offset PostgreSQL refuses, before year 1) is a 400."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)  # None when malformed; ValueError when well-formed but impossible
        if parsed is not None:
            return to_utc(parsed)
    except (ValueError, OverflowError):
        pass
    raise ApiError(
        status.HTTP_400_BAD_REQUEST,
        "invalid",
        "Some fields are not valid.",
        {"before": ["Not an ISO 8601 date and time."]},
    )


def _limit(value: str | None) -> int:
    try:
        return max(1, min(100, int(value or 50)))
    except ValueError as error:
        raise ApiError(
            status.HTTP_400_BAD_REQUEST, "invalid", "Some fields are not valid.", {"limit": ["A whole number."]}
        ) from error


class TagViewSet(
    OrganizationGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """The organization's tags, with how many live contacts carry each."""

    queryset = Tag.objects.all()
    serializer_class = serializers.TagSerializer
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Tag]:
        live = Q(contacttag__contact__deleted_at__isnull=True)
        return super().get_queryset().annotate(contact_count=Count("contacttag", filter=live))

    def perform_create(self, serializer) -> None:
        serializer.instance = services.tag_get_or_create(
            organization=self.request.organization,
            name=serializer.validated_data["name"],
            color=serializer.validated_data.get("color"),
        )
        # Answer with contact_count like every other read (the name may be an existing tag's).
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer) -> None:
        # The instance was read with contact_count, which the answer keeps.
        serializer.instance = services.tag_update(tag=serializer.instance, **serializer.validated_data)
