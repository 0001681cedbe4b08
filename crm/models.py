import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Organization, TenantModel


class ContactSource(models.TextChoices):
    MANUAL = "manual", "Added by hand"
    IMPORT = "import", "Imported"
    CHECKOUT = "checkout", "Checkout"
    INBOX = "inbox", "Inbox message"
    BOOKING_PAGE = "booking_page", "Booking page"
    API = "api", "API"


class ConsentChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class Tag(TenantModel):
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=7, default="#64748b", help_text="A hex colour, e.g. #2454d6.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("organization", Lower("name"), name="tag_name_unique_per_organization")]

    def __str__(self) -> str:
        return self.name


class Contact(TenantModel):
    """One of the business's clients.

    ``emails`` and ``phones`` hold every address and number as
    ``[{"value", "label"}]``, the first being the primary one, which is also
    kept in ``email`` and ``phone`` for lookups. ``search_text`` and
    ``phone_digits`` are what search reads; crm.services keeps them in step.
    """

    # No index of its own: every index below leads with the organization. Row-level security
    # makes PostgreSQL guess a few dozen rows for any organization, and with a bare index on it
    # the planner read a small business's every contact and sorted them for each page of 50.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="The primary email, lower-cased.")
    phone = models.CharField(max_length=20, blank=True, help_text="The primary phone, E.164.")
    emails = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    source = models.CharField(max_length=20, choices=ContactSource.choices, default=ContactSource.MANUAL)
    consent = models.JSONField(
        default=dict, blank=True, help_text='Per channel: {"sms": {"granted": true, "at": "...", "how": "..."}}.'
    )
    custom_fields = models.JSONField(default=dict, blank=True, help_text="The industry profile's extra fields.")
    tags = models.ManyToManyField(Tag, through="ContactTag", related_name="contacts", blank=True)
    search_text = models.TextField(blank=True, editable=False)
    phone_digits = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted contacts can be restored for 30 days.")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="contact_org_created_idx"),
            models.Index(fields=["organization", "last_name", "first_name", "id"], name="contact_org_name_idx"),
            models.Index(fields=["organization", "-last_activity_at", "-id"], name="contact_org_activity_idx"),
            models.Index(fields=["organization", "email"], name="contact_org_email_idx"),
            models.Index(fields=["organization", "phone"], name="contact_org_phone_idx"),
            # The few deleted contacts, found without reading the live ones (the bin, and the
            # inbox's counts leaving out deleted contacts' threads).
            models.Index(
                fields=["organization", "-deleted_at"],
                condition=models.Q(deleted_at__isnull=False),
                name="contact_org_deleted_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return contact_display_name(self.first_name, self.last_name, self.company, self.email, self.phone, self.pk)


def contact_display_name(first_name: str, last_name: str, company: str, email: str, phone: str, pk: int | None) -> str:
    """What to call a contact: the name, else the company, email or phone."""
    name = f"{first_name} {last_name}".strip()
    return name or company or email or phone or f"Contact {pk}"


class SearchWord(TenantModel):
    """A word of the organization's contacts' names and companies: what a mistyped search word
    is matched against (a few thousand words, where the contacts are millions of rows).

    PostgreSQL keeps it by itself: a trigger adds the words of every contact inserted or
    updated, one statement for a whole batch (migration 0007). Words are never removed; one no
    contact bears any more only widens a search to nothing. On SQLite it stays empty."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)  # the unique index leads
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "word"], name="searchword_once")]

    def __str__(self) -> str:
        return self.word


class ContactTag(TenantModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_once")]
        indexes = [models.Index(fields=["organization", "tag", "contact"], name="contacttag_org_tag_idx")]


class ContactNote(TenantModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "contact", "-created_at"], name="note_org_contact_idx")]

    def __str__(self) -> str:
        return self.body[:60]


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    PENDING = "pending", "Queued"
    RUNNING = "running", "Importing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", "Skip rows matching a contact"
    UPDATE = "update", "Update the matching contact"
    CREATE = "create", "Create a new contact anyway"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel workbook"


def import_upload_path(instance: "ContactImport", filename: str) -> str:
    """A random name: the file holds personal data, and the uploader's name is kept apart."""
    suffix = "xlsx" if instance.file_format == ImportFormat.XLSX else "csv"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class ContactImport(TenantModel):
    """A file of contacts being brought in, from upload to the last row.

    An upload is read at once for its columns (``headers``, a guessed
    ``mapping`` and a few ``sample_rows``) and waits in MAPPING; starting it
    queues it (PENDING) for a worker that imports it chunk by chunk. Each chunk
    commits its contacts together with ``rows_done``, so a run that dies
    resumes exactly after the last committed chunk.
    """

    file = models.FileField(upload_to=import_upload_path)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10, choices=ImportFormat.choices, default=ImportFormat.CSV)
    encoding = models.CharField(max_length=20, blank=True, help_text="How a CSV file's text was read.")
    delimiter = models.CharField(max_length=1, blank=True, help_text="What separates a CSV file's columns.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    headers = models.JSONField(default=list, blank=True, help_text="The file's column names, made unique.")
    sample_rows = models.JSONField(default=list, blank=True, help_text="The first few rows, to check the mapping.")
    mapping = models.JSONField(default=dict, blank=True, help_text='Column name -> contact field, "" to ignore.')
    duplicate_policy = models.CharField(max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows committed so far: where a resumed run starts.")
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error_summary = models.TextField(blank=True, help_text="Why the import as a whole stopped, if it did.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at", "-id"], name="contactimport_org_created_idx")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress(self) -> float:
        """From 0 to 1 (rows_done / total_rows); a file without rows is at 1 once completed."""
        if not self.total_rows:
            return 1.0 if self.status == ImportStatus.COMPLETED else 0.0
        return round(self.rows_done / self.total_rows, 4)


class ContactImportError(TenantModel):
    """Why one row (or one cell) of an import was not imported; the rows of the error report."""

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = models.CharField(max_length=255, blank=True, help_text="The file's column, or blank for the whole row.")
    message = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["organization", "contact_import", "row"], name="importerror_org_import_idx")]

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message[:60]}"
