from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from timezone_field import TimeZoneField

from accounts import validators
from accounts.roles import Role, role_has_permission


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: identified by email, no username."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the admin and sees every organization.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OnboardingState(models.TextChoices):
    PENDING = "pending", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class SubscriptionStatus(models.TextChoices):
    NONE = "none", "No subscription"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"


class Organization(models.Model):
    """A business: our customer, and the tenant every other record belongs to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = TimeZoneField(default="UTC")
    currency = models.CharField(max_length=3, choices=validators.CURRENCY_CHOICES, default="USD")
    country = models.CharField(max_length=2, choices=validators.COUNTRY_CHOICES, default="US")
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550123.")
    email = models.EmailField(blank=True, help_text="Where the business's clients can write to it.")
    website = models.URLField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    onboarding_state = models.CharField(max_length=20, choices=OnboardingState.choices, default=OnboardingState.PENDING)
    subscription_status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    plan = models.CharField(max_length=40, blank=True, help_text="The plan the business pays for.")
    paid_until = models.DateTimeField(null=True, blank=True, help_text="End of the period paid for.")
    signup_details = models.JSONField(
        default=dict, blank=True, help_text="What the buyer told us at checkout; onboarding starts from it."
    )
    onboarding_data = models.JSONField(default=dict, blank=True, help_text="The onboarding steps saved so far.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    """Base of every record owned by one organization.

    Its table must be behind row-level security: the migration that creates a
    subclass adds ``accounts.rls.EnableRowLevelSecurity``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=True)

    class Meta:
        abstract = True


class WorkMode(models.TextChoices):
    JOBS = "jobs", "Jobs at the client's place"
    APPOINTMENTS = "appointments", "Appointments in a calendar"


class IndustryProfile(models.Model):
    """How one profession works here: its words, services, reminders and client fields.

    Shipped as data (accounts/data/industry_profiles.json) and editable in the admin.
    """

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    work_mode = models.CharField(max_length=20, choices=WorkMode.choices)
    vocabulary = models.JSONField(default=dict, validators=[validators.validate_vocabulary])
    default_services = models.JSONField(default=list, validators=[validators.validate_default_services])
    reminder_offsets_hours = models.JSONField(default=list, validators=[validators.validate_reminder_offsets])
    review_request_delay_hours = models.PositiveSmallIntegerField(default=2)
    contact_fields = models.JSONField(default=list, validators=[validators.validate_contact_fields])
    is_active = models.BooleanField(default=True, help_text="Offered to new businesses at checkout and onboarding.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationIndustry(TenantModel):
    """The profession an organization works in, with its own changes to the words."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="industry")
    profile = models.ForeignKey(IndustryProfile, on_delete=models.PROTECT, related_name="+")
    vocabulary_overrides = models.JSONField(default=dict, blank=True, validators=[validators.validate_vocabulary])
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "organization industries"

    def __str__(self) -> str:
        return f"{self.organization} — {self.profile}"

    @property
    def vocabulary(self) -> dict[str, str]:
        return {**self.profile.vocabulary, **self.vocabulary_overrides}


class Membership(TenantModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_user")]
        indexes = [models.Index(fields=["user", "organization"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization}"

    def has_perm(self, permission: str) -> bool:
        return role_has_permission(self.role, permission)


class ApiToken(TenantModel):
    """A bearer token bound to one user in one organization. Only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise the token by.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "user", "-created_at"], name="apitoken_org_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ActivityEntry(TenantModel):
    """The organization's audit trail: who did what to which record, and when."""

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    verb = models.CharField(max_length=60, help_text="What happened, e.g. organization.updated.")
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "activity entries"
        indexes = [models.Index(fields=["organization", "-created_at"], name="activity_org_created_idx")]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}:{self.target_id}"


class IdempotencyRecord(TenantModel):
    """The first answer to a create request sent with an Idempotency-Key, replayed on retries."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="one_record_per_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
