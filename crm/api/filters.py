import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from config.api.filters import IsoDateTimeFilter
from crm.models import ConsentChannel, Contact, ContactSource, ContactTag


def _is_id(value: str) -> bool:
    # str.isdigit() is also true of "²" and other digits int() refuses.
    return value.isascii() and value.isdigit()


@extend_schema_field(OpenApiTypes.STR)
class TagNamesFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated tag names or ids."""


class ContactFilter(django_filters.FilterSet):
    """The filters of the contact list; bulk actions and the export take the same ones."""

    tag = TagNamesFilter(method="filter_tags", label="Tag names or ids, comma-separated")
    tag_match = django_filters.ChoiceFilter(
        choices=[("any", "any"), ("all", "all")],
        method="filter_nothing",
        label="With several tags: any (default) or all",
    )
    source = django_filters.MultipleChoiceFilter(choices=ContactSource.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    last_activity_after = IsoDateTimeFilter(field_name="last_activity_at", lookup_expr="gte")
    last_activity_before = IsoDateTimeFilter(field_name="last_activity_at", lookup_expr="lt")
    has_email = django_filters.BooleanFilter(method="filter_has", label="Has an email")
    has_phone = django_filters.BooleanFilter(method="filter_has", label="Has a phone")
    consent = django_filters.ChoiceFilter(
        choices=ConsentChannel.choices, method="filter_consent", label="Agreed to messages on this channel"
    )

    class Meta:
        model = Contact
        fields = ["source"]

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    def filter_tags(self, queryset: QuerySet, name: str, values: list[str]) -> QuerySet:
        names = [v for v in values if not _is_id(v)]
        ids = [int(v) for v in values if _is_id(v)]
        links = ContactTag.objects.filter(contact=OuterRef("pk"))

        def by_tag(value: int | str):
            return links.filter(tag_id=value) if isinstance(value, int) else links.filter(tag__name__iexact=value)

        if self.data.get("tag_match") == "all":
            for value in [*ids, *names]:
                queryset = queryset.filter(Exists(by_tag(value)))
            return queryset
        condition = Exists(links.filter(tag_id__in=ids)) if ids else None
        for value in names:
            named = Exists(by_tag(value))
            condition = named if condition is None else condition | named
        return queryset.filter(condition) if condition is not None else queryset

    def filter_has(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        field = "email" if name == "has_email" else "phone"
        if value is None:
            return queryset
        return queryset.exclude(**{field: ""}) if value else queryset.filter(**{field: ""})

    def filter_consent(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"consent__{value}__granted": True})
