"""Query-parameter parsing shared by the apps' list filters, and the filter backend.

A time in a query may carry any offset Python accepts (up to ±23:59), but
PostgreSQL refuses offsets past ±15:59 and the whole query fails. Times are
therefore turned into UTC before they reach a query, and one that cannot be
(a year 1 date pushed before year 1) is a 400 naming the parameter.
"""

import functools
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
    """django-filter's backend, building a filter set of only the filters the query names.

    A filter whose parameter is absent filters nothing, but a filter set deep-copies every
    filter, and its form every field, each time it is made: that cost more than a page's
    query. A request that names no filter builds no filter set at all."""

    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        named = _named_filters(request.query_params, filterset_class.base_filters)
        if not named:
            return None
        return _with_only(filterset_class, named)(**self.get_filterset_kwargs(request, queryset, view))


def _named_filters(params, filters) -> frozenset[str]:
    # A range filter reads "<name>_after"/"<name>_min" and the like besides "<name>".
    named = set()
    for key in params:
        if key in filters:
            named.add(key)
        elif key.rsplit("_", 1)[0] in filters:
            named.add(key.rsplit("_", 1)[0])
    return frozenset(named)


@functools.lru_cache(maxsize=1024)
def _with_only(filterset_class, names: frozenset[str]):
    """``filterset_class`` with only the filters ``names`` (made once for each set of names).

    The filter set still reads the whole query (``self.data``), so a method that looks at
    another parameter, as the contacts' ``tag_match`` does, sees it."""
    subclass = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    subclass.base_filters = {name: item for name, item in filterset_class.base_filters.items() if name in names}
    return subclass
