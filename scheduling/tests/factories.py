from datetime import time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import MembershipFactory, OrganizationFactory
from crm.tests.factories import ContactFactory
from scheduling.models import (
    Booking,
    BookingPolicy,
    BusyBlock,
    CalendarFeed,
    DateHours,
    ExternalCalendar,
    Job,
    JobAssignee,
    JobAttachment,
    JobLineItem,
    JobStatusChange,
    Service,
    ServiceStaff,
    TimeOff,
    WeeklyHours,
)

SAME_ORGANIZATION = factory.SelfAttribute("..organization")


def _soon(hours: int):
    """A whole hour in the coming days: inside the calendar's default week."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start + timedelta(hours=hours % 120)


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    duration_minutes = 60
    price = 9000


class ServiceStaffFactory(DjangoModelFactory):
    class Meta:
        model = ServiceStaff

    organization = factory.SubFactory(OrganizationFactory)
    service = factory.SubFactory(ServiceFactory, organization=SAME_ORGANIZATION)
    member = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)


class JobFactory(DjangoModelFactory):
    class Meta:
        model = Job

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=SAME_ORGANIZATION)
    title = factory.Sequence(lambda n: f"Job {n}")


class JobAssigneeFactory(DjangoModelFactory):
    class Meta:
        model = JobAssignee

    organization = factory.SubFactory(OrganizationFactory)
    job = factory.SubFactory(JobFactory, organization=SAME_ORGANIZATION)
    member = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)


class JobLineItemFactory(DjangoModelFactory):
    class Meta:
        model = JobLineItem

    organization = factory.SubFactory(OrganizationFactory)
    job = factory.SubFactory(JobFactory, organization=SAME_ORGANIZATION)
    description = "Labour"
    quantity = 2
    unit_price = 5000


class JobStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = JobStatusChange

    organization = factory.SubFactory(OrganizationFactory)
    job = factory.SubFactory(JobFactory, organization=SAME_ORGANIZATION)
    from_status = "requested"
    to_status = "scheduled"


class JobAttachmentFactory(DjangoModelFactory):
    class Meta:
        model = JobAttachment

    organization = factory.SubFactory(OrganizationFactory)
    job = factory.SubFactory(JobFactory, organization=SAME_ORGANIZATION)
    file_name = "boiler.jpg"
    content_type = "image/jpeg"
    size = 120_000


class BookingFactory(DjangoModelFactory):
    """A confirmed hour for a staff member of its own, so two never collide."""

    class Meta:
        model = Booking

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)
    contact = factory.SubFactory(ContactFactory, organization=SAME_ORGANIZATION)
    service = factory.SubFactory(ServiceFactory, organization=SAME_ORGANIZATION)
    starts_at = factory.Sequence(_soon)
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + timedelta(hours=1))
    blocked_from = factory.SelfAttribute("starts_at")
    blocked_until = factory.SelfAttribute("ends_at")


class WeeklyHoursFactory(DjangoModelFactory):
    class Meta:
        model = WeeklyHours

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)
    weekday = factory.Sequence(lambda n: n % 7)
    start_time = time(9)
    end_time = time(17)


class DateHoursFactory(DjangoModelFactory):
    class Meta:
        model = DateHours

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)
    date = factory.Sequence(lambda n: (timezone.now() + timedelta(days=n % 300)).date())
    ranges = factory.LazyFunction(lambda: [{"start": "10:00", "end": "14:00"}])


class TimeOffFactory(DjangoModelFactory):
    class Meta:
        model = TimeOff

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)
    starts_at = factory.Sequence(lambda n: _soon(24 * n))
    ends_at = factory.LazyAttribute(lambda t: t.starts_at + timedelta(days=1))
    reason = "Holiday"


class BookingPolicyFactory(DjangoModelFactory):
    class Meta:
        model = BookingPolicy

    organization = factory.SubFactory(OrganizationFactory)


class CalendarFeedFactory(DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)


class ExternalCalendarFactory(DjangoModelFactory):
    class Meta:
        model = ExternalCalendar

    organization = factory.SubFactory(OrganizationFactory)
    staff = factory.SubFactory(MembershipFactory, organization=SAME_ORGANIZATION)
    name = factory.Sequence(lambda n: f"Calendar {n}")
    url = "https://calendar.example.net/private.ics"


class BusyBlockFactory(DjangoModelFactory):
    class Meta:
        model = BusyBlock

    organization = factory.SubFactory(OrganizationFactory)
    calendar = factory.SubFactory(ExternalCalendarFactory, organization=SAME_ORGANIZATION)
    staff = factory.SelfAttribute("calendar.staff")
    starts_at = factory.Sequence(_soon)
    ends_at = factory.LazyAttribute(lambda b: b.starts_at + timedelta(hours=1))
