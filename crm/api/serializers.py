from datetime import UTC

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Contact, ContactNote, Tag, contact_display_name
from crm.selectors import CONTACT_VALUE_FIELDS


class TagSerializer(serializers.ModelSerializer):
    contact_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Tag
        fields = ["id", "name", "color", "created_at", "contact_count"]
        read_only_fields = ["id", "created_at", "contact_count"]


class AddressEntrySerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField(allow_blank=True, required=False)


class ContactSerializer(serializers.ModelSerializer):
    """A contact as the API shows it."""

    display_name = serializers.CharField(read_only=True)
    # Declared, not derived: a derived read-only field drops allow_blank, and a contact may have no email.
    email = serializers.EmailField(read_only=True, allow_blank=True, help_text="The primary email, lower-cased.")
    emails = AddressEntrySerializer(many=True, read_only=True)
    phones = AddressEntrySerializer(many=True, read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "display_name", *CONTACT_VALUE_FIELDS[1:], "tags"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, contact: Contact) -> list[str]:
        # Views prefetch the tags into tag_list; a contact fetched alone reads them.
        tags = contact.tag_list if hasattr(contact, "tag_list") else contact.tags.all()
        return sorted(tag.name for tag in tags)

    def to_representation(self, contact: Contact) -> dict:
        fields = {name: getattr(contact, name) for name in CONTACT_VALUE_FIELDS}
        return contact_payload(fields, self.get_tags(contact))


def contact_payload(fields: dict, tags: list[str]) -> dict:
    """A contact as the API shows it, from its stored fields (a model's or a ``.values()`` row).

    ContactSerializer's declared fields describe this shape for the schema;
    writing the dict directly is several times faster than DRF's
    field-by-field walk, which dominated the list's time.
    """
    data = {name: fields[name] for name in _PLAIN_FIELDS}
    for name in _TIME_FIELDS:
        value = fields[name]
        data[name] = _iso(value) if value is not None else None
    data["display_name"] = contact_display_name(
        fields["first_name"], fields["last_name"], fields["company"], fields["email"], fields["phone"], fields["id"]
    )
    data["emails"] = [{"value": e["value"], "label": e.get("label", "")} for e in fields["emails"]]
    data["phones"] = [{"value": p["value"], "label": p.get("label", "")} for p in fields["phones"]]
    data["tags"] = tags
    return {name: data[name] for name in ContactSerializer.Meta.fields}


_TIME_FIELDS = ("created_at", "updated_at", "last_activity_at", "deleted_at")
_PLAIN_FIELDS = tuple(name for name in CONTACT_VALUE_FIELDS if name not in (*_TIME_FIELDS, "emails", "phones"))


def _iso(value) -> str:
    """As DRF's DateTimeField writes it (UTC, "Z"), without its per-call overhead."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ContactWriteSerializer(serializers.Serializer):
    """What a client may send; the rules live in crm.validation, shared with the importer."""

    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    company = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True, help_text="The primary email.")
    emails = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text='Strings or {"value", "label"}.'
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, help_text="The primary phone, in any common format."
    )
    phones = serializers.ListField(child=serializers.JSONField(), required=False)
    address_line1 = serializers.CharField(required=False, allow_blank=True)
    address_line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    postal_code = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True)
    consent = serializers.DictField(child=serializers.JSONField(), required=False)
    custom_fields = serializers.DictField(child=serializers.JSONField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, help_text="Tag names.")


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ContactNote
        fields = ["id", "body", "author", "created_at", "updated_at"]
        read_only_fields = ["id", "author", "created_at", "updated_at"]


class MergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(help_text="The contact to merge into this one; it is then removed.")


class BulkActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["tag", "untag", "delete"])
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=10000)
    filter = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="The list's query parameters, to act on all it shows."
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False)

    def validate(self, attrs: dict) -> dict:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ["Give either ids or a filter."]})
        if attrs["action"] in ("tag", "untag") and not attrs.get("tags"):
            raise serializers.ValidationError({"tags": ["Name the tags to add or remove."]})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    affected = serializers.IntegerField()


class TimelineItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    summary = serializers.CharField()
    data = serializers.DictField()


class TimelinePageSerializer(serializers.Serializer):
    results = TimelineItemSerializer(many=True)
    next_before = serializers.DateTimeField(allow_null=True, help_text="Pass as ?before= for the next page.")
