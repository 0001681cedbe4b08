"""The filters of the thread list. Each reads its rule from inbox.selectors, so the counts
for the sidebar and the list agree on what "unread on SMS" means."""

import django_filters
from django.utils import timezone
from rest_framework import serializers

from inbox import selectors
from inbox.models import Channel, Thread

STATUSES = [("open", "open: neither closed nor snoozed"), ("snoozed", "snoozed"), ("closed", "closed")]


def _is_id(value: str) -> bool:
    # str.isdigit() is also true of "²" and other digits int() refuses.
    return value.isascii() and value.isdigit() and len(value) <= 18


def _whole_id(value, name: str) -> int:
    """A positive whole number that fits a database id; anything else is a 400 naming the parameter."""
    if not value.is_finite() or value != int(value) or not 0 < value < 2**63:
        raise serializers.ValidationError({name: ["Give an id: a positive whole number."]})
    return int(value)


class ThreadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=STATUSES, method="filter_status")
    unread = django_filters.BooleanFilter(method="filter_unread", label="With unread messages (true) or without")
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, method="filter_channel", label="Threads with a message on this channel"
    )
    assigned = django_filters.CharFilter(method="filter_assigned", label="A membership id, `me` or `none`")
    contact = django_filters.NumberFilter(method="filter_contact", label="A contact id")
    label = django_filters.NumberFilter(method="filter_label", label="A label id")
    search = django_filters.CharFilter(
        method="filter_search", label="Words in the messages' subject or body, or the contact's name"
    )

    class Meta:
        model = Thread
        fields: list[str] = []

    @property
    def organization(self):
        return self.request.organization

    def filter_status(self, queryset, name: str, value: str):
        return selectors.threads_in_status(queryset, value, now=timezone.now()) if value else queryset

    def filter_unread(self, queryset, name: str, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(unread_count__gt=0) if value else queryset.filter(unread_count=0)

    def filter_channel(self, queryset, name: str, value: str):
        return selectors.threads_on_channel(queryset, value, organization=self.organization) if value else queryset

    def filter_assigned(self, queryset, name: str, value: str):
        value = value.strip().lower()
        if value == "me":
            return queryset.filter(assigned_to=self.request.membership)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if _is_id(value):
            return queryset.filter(assigned_to_id=int(value))
        if not value:
            return queryset
        raise serializers.ValidationError({"assigned": ["Give a membership id, `me` or `none`."]})

    def filter_contact(self, queryset, name: str, value):
        if value is None:
            return queryset
        return queryset.filter(contact_id=_whole_id(value, name))

    def filter_label(self, queryset, name: str, value):
        if value is None:
            return queryset
        return selectors.threads_labeled(queryset, _whole_id(value, name), organization=self.organization)

    def filter_search(self, queryset, name: str, value: str):
        return selectors.threads_search(queryset, value, organization=self.organization)
