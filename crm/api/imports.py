"""The contact import API: upload a file, correct its column mapping, start it, follow it, get its errors."""

from collections.abc import Callable

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.api.base import OrganizationGenericViewSet
from config.api.errors import ApiError
from config.api.parsers import JSONParser
from crm import import_files, import_mapping, imports
from crm.models import ContactImport, DuplicatePolicy


class ImportFieldSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='What a mapping names, e.g. "email" or "custom_fields.gate_code".')
    label = serializers.CharField()


class ContactImportSerializer(serializers.ModelSerializer):
    """An import and its progress."""

    headers = serializers.ListField(child=serializers.CharField(), help_text="The file's columns, in order.")
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text='Column -> field; "" leaves the column out.'
    )
    sample_rows = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        help_text="The first few rows, one value per column, to check the mapping against.",
    )
    progress = serializers.FloatField(read_only=True, help_text="rows_done / total_rows, from 0 to 1.")
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ContactImport
        fields = [
            "id",
            "original_name",
            "file_format",
            "encoding",
            "status",
            "duplicate_policy",
            "headers",
            "mapping",
            "sample_rows",
            "total_rows",
            "rows_done",
            "progress",
            "created_count",
            "updated_count",
            "skipped_count",
            "failed_count",
            "error_summary",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ContactImportDetailSerializer(ContactImportSerializer):
    """One import, with the fields its columns can be mapped to."""

    available_fields = serializers.SerializerMethodField()

    class Meta(ContactImportSerializer.Meta):
        fields = [*ContactImportSerializer.Meta.fields, "available_fields"]
        read_only_fields = fields

    @extend_schema_field(ImportFieldSerializer(many=True))
    def get_available_fields(self, contact_import: ContactImport) -> list[dict[str, str]]:
        fields = import_mapping.import_fields(organization=self.context["request"].organization)
        return [{"key": key, "label": label} for key, label in fields.items()]


class ContactImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # crm.import_files refuses it, naming the file
        help_text="CSV (UTF-8; Windows-1252 and UTF-16 are recognised too) or XLSX, up to 50 MB; "
        "its first row names the columns.",
    )
    duplicate_policy = serializers.ChoiceField(
        choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.SKIP,
        help_text="A row with the email or phone of a contact (or of an earlier row): skip it, update that "
        "contact, or create a new one anyway.",
    )


class ContactImportUpdateSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='Columns to change: column -> field key from available_fields, or "" to leave it out.',
    )
    duplicate_policy = serializers.ChoiceField(choices=DuplicatePolicy.choices, required=False)


class _LimitedUploadHandler(TemporaryFileUploadHandler):
    """Stops reading an upload once it passes the limit, instead of spooling all of it to disk first."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > import_files.MAX_UPLOAD_BYTES:
            raise import_files.file_too_large(self.file_name)
        return super().receive_data_chunk(raw_data, start)


class ContactImportViewSet(OrganizationGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Imports of contacts from a CSV or XLSX file.

    Upload a file (the answer shows its columns, a guessed mapping and a few
    rows), correct the mapping with PATCH, then start it: a worker imports it
    while ``rows_done`` / ``total_rows`` grow. Rows that cannot be imported are
    listed in ``errors.csv``; the others are imported all the same.
    """

    queryset = ContactImport.objects.select_related("created_by")
    serializer_class = ContactImportSerializer
    parser_classes = [JSONParser, MultiPartParser]  # uploads are multipart; everything else is JSON
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch"]

    def initialize_request(self, request, *args, **kwargs):
        # Session authentication's CSRF check reads a POST body before any view code runs: cap uploads first.
        request.upload_handlers = [_LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ContactImportSerializer if self.action == "list" else ContactImportDetailSerializer

    def _detail(self, contact_import: ContactImport) -> dict:
        return ContactImportDetailSerializer(
            self.get_queryset().get(pk=contact_import.pk), context={"request": self.request}
        ).data

    @extend_schema(
        request={"multipart/form-data": ContactImportUploadSerializer},
        responses={201: ContactImportDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file. It is checked at once (size, encoding, header row); nothing is imported yet."""
        incoming = ContactImportUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contact_import = imports.contact_import_create(
            organization=request.organization,
            actor=request.user,
            upload=incoming.validated_data["file"],
            duplicate_policy=incoming.validated_data["duplicate_policy"],
        )
        return Response(self._detail(contact_import), status=status.HTTP_201_CREATED)

    @extend_schema(request={"application/json": ContactImportUpdateSerializer}, responses=ContactImportDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct the mapping or the duplicate policy, while the import waits for its mapping."""
        contact_import = self.get_object()
        incoming = ContactImportUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        updated = _conflict_is_409(
            lambda: imports.contact_import_configure(contact_import=contact_import, **incoming.validated_data)
        )
        return Response(self._detail(updated))

    @extend_schema(request=None, responses={202: ContactImportDetailSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Queue the import; a failed one resumes after the last row it committed."""
        contact_import = self.get_object()
        started = _conflict_is_409(
            lambda: imports.contact_import_start(contact_import=contact_import, actor=request.user)
        )
        return Response(self._detail(started), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="contacts_imports_errors_csv",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The rows not imported: row (as a spreadsheet numbers it, the header being 1), "
                "column and message.",
            )
        },
    )
    @action(detail=True, methods=["get"], url_path="errors.csv")
    def errors(self, request, pk=None):
        """The error report, as CSV."""
        contact_import = self.get_object()
        response = StreamingHttpResponse(
            imports.contact_import_error_report(contact_import=contact_import), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{contact_import.pk}-errors.csv"'
        return response


def _conflict_is_409(call: Callable[[], ContactImport]) -> ContactImport:
    try:
        return call()
    except imports.ImportConflict as error:
        raise ApiError(status.HTTP_409_CONFLICT, "import_conflict", str(error)) from error
