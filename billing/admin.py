from django.contrib import admin, messages

from accounts.admin import OrganizationAdmin
from billing import services
from billing.models import Provisioning


@admin.register(Provisioning)
class ProvisioningAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "source",
        "stripe_customer_id",
        "welcome_email_status",
        "welcome_email_attempts",
        "welcome_email_sent_at",
        "created_at",
    ]
    list_filter = ["source", "welcome_email_status"]
    search_fields = [
        "organization__name",
        "organization__slug",
        "checkout_session_id",
        "stripe_customer_id",
        "stripe_subscription_id",
    ]
    list_select_related = ["organization"]
    readonly_fields = [
        "organization",
        "source",
        "checkout_session_id",
        "stripe_customer_id",
        "stripe_subscription_id",
        "created_at",
        "welcome_email_status",
        "welcome_email_sent_at",
        "welcome_email_attempts",
        "welcome_email_error",
    ]
    date_hierarchy = "created_at"
    actions = ["resend_welcome_email"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Resend the welcome email")
    def resend_welcome_email(self, request, queryset):
        for provisioning in queryset.select_related("organization"):
            services.welcome_email_resend(organization=provisioning.organization)
        self.message_user(request, f"Welcome email queued for {queryset.count()} organization(s).", messages.SUCCESS)


class ProvisioningInline(admin.StackedInline):
    """Shown on the organization: plan source, Stripe customer and the welcome email."""

    model = Provisioning
    can_delete = False
    extra = 0
    readonly_fields = ProvisioningAdmin.readonly_fields
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# billing plugs its part of an organization into accounts' admin page.
OrganizationAdmin.inlines = [*OrganizationAdmin.inlines, ProvisioningInline]
if "plan" not in OrganizationAdmin.list_display:
    OrganizationAdmin.list_display = [*OrganizationAdmin.list_display, "plan", "provisioning_source", "welcome_email"]


@admin.display(description="source")
def _provisioning_source(self, organization) -> str:
    provisioning = getattr(organization, "provisioning", None)
    return provisioning.get_source_display() if provisioning else "—"


@admin.display(description="welcome email")
def _welcome_email(self, organization) -> str:
    provisioning = getattr(organization, "provisioning", None)
    return provisioning.get_welcome_email_status_display() if provisioning else "—"


OrganizationAdmin.provisioning_source = _provisioning_source
OrganizationAdmin.welcome_email = _welcome_email
OrganizationAdmin.list_select_related = ["provisioning"]
