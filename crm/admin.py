from django.contrib import admin

from crm.models import Contact, ContactNote, ContactTag, Tag


class ContactTagInline(admin.TabularInline):
    model = ContactTag
    extra = 0
    autocomplete_fields = ["tag"]
    exclude = ["organization"]


class ContactNoteInline(admin.TabularInline):
    model = ContactNote
    extra = 0
    fields = ["body", "author", "created_at"]
    readonly_fields = ["author", "created_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "company",
        "email",
        "phone",
        "organization",
        "source",
        "created_at",
        "last_activity_at",
        "deleted_at",
    ]
    list_filter = ["source", ("deleted_at", admin.EmptyFieldListFilter), "tags"]
    search_fields = ["first_name", "last_name", "company", "email", "phone", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = ["search_text", "phone_digits", "created_at", "updated_at", "merged_into"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of rows on every page is slow
    inlines = [ContactTagInline, ContactNoteInline]

    def save_model(self, request, obj, form, change):
        from crm.services import search_columns

        search_columns(obj)
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "color", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]


@admin.register(ContactTag)
class ContactTagAdmin(admin.ModelAdmin):
    list_display = ["contact", "tag", "organization"]
    list_filter = ["tag"]
    search_fields = ["contact__last_name", "contact__email", "tag__name"]
    list_select_related = ["contact", "tag", "organization"]
    autocomplete_fields = ["contact", "tag"]


@admin.register(ContactNote)
class ContactNoteAdmin(admin.ModelAdmin):
    list_display = ["contact", "author", "organization", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["body", "contact__last_name", "contact__email"]
    list_select_related = ["contact", "author", "organization"]
    autocomplete_fields = ["contact"]
    date_hierarchy = "created_at"
