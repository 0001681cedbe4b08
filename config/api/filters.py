"""Query-parameter parsing shared by the apps' list filters, and the filter backend.

A time in a query may carry any offset Python accepts (up to ±23:59), but
PostgreSQL refuses offsets past ±15:59 and the whole query fails. Times are
therefore turned into UTC before they reach a query, and one that cannot be
(a year 1 date pushed before year 1) is a 400 naming the parameter.
"""

from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend

OUT_OF_RANGE = "This date and time is out of range."


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive one is read in the current time zone. Raises OverflowError past year 1 or 9999."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return to_utc(parsed)
        except (OverflowError, ValueError) as error:
            raise ValidationError(OUT_OF_RANGE, code="invalid") from error


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter, safe for any offset: use it for every time in a query."""

    field_class = UtcIsoDateTimeField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend that skips building the filter set when no query parameter
    names one of its filters: a filter set deep-copies all its filters when it is made,
    which costs more than a page's query, and most list requests filter nothing."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _names_a_filter(request.query_params, filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_a_filter(params, filters) -> bool:
    # A range filter reads "<name>_after"/"<name>_min" and the like besides "<name>".
    return any(key in filters or key.rsplit("_", 1)[0] in filters for key in params)
