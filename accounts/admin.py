from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import (
    ActivityEntry,
    ApiToken,
    IdempotencyRecord,
    IndustryProfile,
    Membership,
    Organization,
    OrganizationIndustry,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class OrganizationIndustryInline(admin.StackedInline):
    model = OrganizationIndustry
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "currency", "subscription_status", "onboarding_state", "created_at"]
    list_filter = ["subscription_status", "onboarding_state", "country", "industry__profile"]
    search_fields = ["name", "slug", "email", "phone"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "created_at"
    inlines = [OrganizationIndustryInline, MembershipInline]


@admin.register(IndustryProfile)
class IndustryProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "work_mode", "is_active", "updated_at"]
    list_filter = ["work_mode", "is_active"]
    search_fields = ["name", "key"]


@admin.register(OrganizationIndustry)
class OrganizationIndustryAdmin(admin.ModelAdmin):
    list_display = ["organization", "profile", "chosen_at"]
    list_filter = ["profile"]
    search_fields = ["organization__name", "organization__slug"]
    list_select_related = ["organization", "profile"]
    autocomplete_fields = ["organization"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "organization", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    autocomplete_fields = ["user", "organization"]

    def has_add_permission(self, request) -> bool:
        # Tokens are made by their owners (API or create_api_token): the key is shown once, to them.
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ActivityEntry)
class ActivityEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "actor", "verb", "target_type", "target_id", "summary"]
    list_filter = ["verb", "target_type"]
    search_fields = ["organization__name", "actor__email", "verb", "summary", "target_id"]
    list_select_related = ["organization", "actor"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "user", "method", "path", "key", "response_status"]
    list_filter = ["method", "response_status"]
    search_fields = ["key", "path", "organization__name", "user__email"]
    list_select_related = ["organization", "user"]
    date_hierarchy = "created_at"
