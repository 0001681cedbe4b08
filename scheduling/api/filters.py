import django_filters
from django.db.models import Q, QuerySet

from config.api.filters import IsoDateTimeFilter
from scheduling.models import Booking, BookingSource, BookingStatus, Job, JobStatus


def _id_filter(**kwargs) -> django_filters.NumberFilter:
    """An id: a whole number a database key can hold, else a 400 naming the parameter."""
    return django_filters.NumberFilter(min_value=1, max_value=2**63 - 1, decimal_places=0, **kwargs)


def _search(queryset: QuerySet, fields: tuple[str, ...], value: str) -> QuerySet:
    """Every word must appear in one of ``fields``."""
    for word in value.split()[:5]:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


class JobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)
    staff = _id_filter(field_name="jobassignee__member_id", label="Assigned to this member")
    contact = _id_filter(field_name="contact_id")
    service = _id_filter(method="filter_service", label="With an estimate line for this service")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    visits_after = IsoDateTimeFilter(method="filter_visits_after", label="With a visit from this time")
    visits_before = IsoDateTimeFilter(method="filter_visits_before", label="With a visit before this")
    search = django_filters.CharFilter(method="filter_search", label="Title, client name or company")

    class Meta:
        model = Job
        fields = ["status"]

    def filter_service(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(line_items__service_id=value).distinct()

    def filter_visits_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(visits__starts_at__gte=value).distinct()

    def filter_visits_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(visits__starts_at__lt=value).distinct()

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, ("title", "contact__first_name", "contact__last_name", "contact__company"), value)


class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    source = django_filters.MultipleChoiceFilter(choices=BookingSource.choices)
    staff = _id_filter(field_name="staff_id")
    contact = _id_filter(field_name="contact_id")
    service = _id_filter(field_name="service_id")
    job = _id_filter(field_name="job_id")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", label="Client name, company, email or notes")

    class Meta:
        model = Booking
        fields = ["status"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        fields = ("contact__first_name", "contact__last_name", "contact__company", "contact__email", "notes")
        return _search(queryset, fields, value)
